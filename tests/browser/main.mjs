// Runs the browser tests: the public site's (site*.mjs) first, then every other test file
// beside this one (admin*.mjs, ...), in name order; tests that need the API stopped run last.
// Started by tests/browser/run.sh; TAP on standard output.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.env.BROWSER_ONLY ? new RegExp(process.env.BROWSER_ONLY) : null;
const files = fs.readdirSync(here)
  .filter((f) => f.endsWith('.mjs') && f !== 'lib.mjs' && f !== 'main.mjs')
  .filter((f) => !only || only.test(f))
  .sort((a, b) => Number(!a.startsWith('site')) - Number(!b.startsWith('site')) || a.localeCompare(b))
  .map((f) => path.join(here, f));
await main(files);
