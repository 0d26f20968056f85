/** `npm run store-copy` entry point (src/cli/store-copy.ts). */
import { runStoreCopyCli } from './store-copy.js';

void runStoreCopyCli(process.argv).then((code) => process.exit(code));
