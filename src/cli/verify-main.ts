/** `npm run verify` entry point (src/cli/verify.ts). */
import { runVerifyCli } from './verify.js';

void runVerifyCli(process.argv).then((code) => process.exit(code));
