/** `npm run restore` entry point (src/cli/restore.ts). */
import { runRestoreCli } from './restore.js';

void runRestoreCli(process.argv).then((code) => process.exit(code));
