// Where the project's shared truth lives: ../shared beside the repository (ICSP_SHARED_DIR overrides).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sharedDir = process.env['ICSP_SHARED_DIR'] ?? resolve(repoRoot, '..', 'shared');

export function sharedPath(...parts: string[]): string {
  const p = join(sharedDir, ...parts);
  if (!existsSync(p)) throw new Error(`${p} is missing: the tests read ../shared beside the repository (set ICSP_SHARED_DIR to point elsewhere)`);
  return p;
}

export function readSharedJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(sharedPath(...parts), 'utf8')) as T;
}
