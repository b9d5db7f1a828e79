// Where the tests find their truth. The conformance vectors and the podman fixtures are copies, byte for byte, of
// ../shared/conformance and ../shared/fixtures/podman kept in the repository, so a fresh clone runs the unit suite
// with no ../shared beside it; test/conformance/vectors-copy.test.ts fails when a copy drifts from ../shared.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** ../shared beside the repository (ICSP_SHARED_DIR overrides); optional: only the drift check reads it. */
export const sharedDir = process.env['ICSP_SHARED_DIR'] ?? resolve(repoRoot, '..', 'shared');

/** The repository's copy of ../shared/conformance. */
export const vectorsDir = join(repoRoot, 'test', 'conformance', 'vectors');
/** The repository's copy of ../shared/fixtures/podman. */
export const podmanFixturesDir = join(repoRoot, 'test', 'fixtures', 'podman');

function mustExist(p: string): string {
  if (!existsSync(p))
    throw new Error(`${p} is missing from the repository: restore it with git checkout (it is a copy of ../shared)`);
  return p;
}

export function vectorsPath(...parts: string[]): string {
  return mustExist(join(vectorsDir, ...parts));
}

export function podmanFixturePath(...parts: string[]): string {
  return mustExist(join(podmanFixturesDir, ...parts));
}

export function readVectors<T>(file: string): T {
  return JSON.parse(readFileSync(vectorsPath(file), 'utf8')) as T;
}
