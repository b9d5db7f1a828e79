// Setup file of every vitest suite: each test file runs with its own TMPDIR (a directory made like /tmp, sticky and
// writable for all, so a child running as another user can still use it). When the file ends, pass or fail, what
// tempDir() made is removed; anything else left there fails the file, naming it, and is removed too, so a long-lived
// CI machine collects nothing. ICSP_KEEP_TMP=1 keeps it all and prints where.
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { keepTempDirs } from './temp-dir.ts';
import { removeFileTempDirs } from './test-temp-dir.ts';

const outer = process.env['TMPDIR'];
const fileTmp = mkdtempSync(join(tmpdir(), 'icsp-test-'));
chmodSync(fileTmp, 0o1777);
process.env['TMPDIR'] = fileTmp;

// Registered before the test file's own hooks, so it runs after them (vitest runs afterAll hooks in reverse order).
afterAll(() => {
  if (outer === undefined) delete process.env['TMPDIR'];
  else process.env['TMPDIR'] = outer;
  removeFileTempDirs();
  if (keepTempDirs()) {
    process.stderr.write(`kept ${fileTmp}, this test file's TMPDIR (ICSP_KEEP_TMP=1)\n`);
    return;
  }
  const left = readdirSync(fileTmp).sort();
  rmSync(fileTmp, { recursive: true, force: true, maxRetries: 3 });
  if (left.length > 0)
    throw new Error(
      `this test file left ${left.join(', ')} in its temp dir (removed now): make temporary directories with ` +
        'tempDir() from test/helpers/test-temp-dir.ts, which removes them when the test or the file ends',
    );
});
