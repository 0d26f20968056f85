/** `npm run backup` entry point (src/cli/backup.ts). */
import { runBackupCli } from './backup.js';

void runBackupCli(process.argv).then((code) => process.exit(code));
