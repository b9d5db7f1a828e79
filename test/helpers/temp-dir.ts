// Temporary directories of tests, benches and scripts. CI runs on a long-lived machine, so each one is removed when
// its test, file, bench or script ends, pass or fail. ICSP_KEEP_TMP=1 keeps them for debugging (LAB_KEEP=1, the
// lab's older name for it, too) and says where they are. No vitest here: benches and scripts import this file;
// tests use tempDir() from test-temp-dir.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Whether the environment asks to keep temporary directories for debugging. */
export function keepTempDirs(): boolean {
  return process.env['ICSP_KEEP_TMP'] === '1' || process.env['LAB_KEEP'] === '1';
}

/** A new directory under the temp dir (TMPDIR); the caller removes it with removeTempDir. */
export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Removes a temporary directory and all it holds, unless ICSP_KEEP_TMP=1 asks to keep it. */
export function removeTempDir(dir: string): void {
  if (keepTempDirs()) {
    process.stderr.write(`kept ${dir} (ICSP_KEEP_TMP=1)\n`);
    return;
  }
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** For a bench or a script: a temporary directory removed when the process exits, after an uncaught error too. */
export function processTempDir(prefix: string): string {
  const dir = makeTempDir(prefix);
  process.once('exit', () => removeTempDir(dir));
  return dir;
}
