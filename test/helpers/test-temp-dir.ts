// tempDir() for tests: a temporary directory removed when its scope ends, pass or fail. Asked for inside a test
// (or a beforeEach), it goes when that test finishes; asked for anywhere else (the file's top level, a describe
// body, a beforeAll), when the test file ends: test/helpers/temp-dir-guard.ts, a setup file of every suite, calls
// removeFileTempDirs() after the file's own afterAll hooks.
import { onTestFinished, TestRunner } from 'vitest';
import { makeTempDir, removeTempDir } from './temp-dir.ts';

const fileScoped = new Set<string>();

export function tempDir(prefix: string): string {
  const dir = makeTempDir(prefix);
  if (TestRunner.getCurrentTest() !== undefined) {
    onTestFinished(() => removeTempDir(dir));
  } else {
    fileScoped.add(dir);
  }
  return dir;
}

/** Removes the file-scoped directories (the guard calls it when the test file ends). */
export function removeFileTempDirs(): void {
  for (const dir of fileScoped) removeTempDir(dir);
  fileScoped.clear();
}
