// The repository keeps byte-for-byte copies of ../shared/conformance (test/conformance/vectors) and
// ../shared/fixtures/podman (test/fixtures/podman) so a fresh clone runs the unit suite on its own. Where ../shared
// exists beside the repository (the project's machines, CI), each copy must equal it file for file: a drifted copy
// fails here with the files that differ. Without ../shared there is nothing to compare and the copies are the truth.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { podmanFixturesDir, sharedDir, vectorsDir } from '../helpers/shared-dir.ts';
import { tempDir } from '../helpers/test-temp-dir.ts';

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

/** Every difference between two trees: files only on one side, and files whose bytes differ. */
export function treeDifferences(upstream: string, copy: string): string[] {
  const a = filesUnder(upstream);
  const b = new Set(filesUnder(copy));
  const diffs: string[] = [];
  for (const f of a) {
    if (!b.has(f)) diffs.push(`missing from the copy: ${f}`);
    else if (!readFileSync(join(upstream, f)).equals(readFileSync(join(copy, f)))) diffs.push(`differs: ${f}`);
    b.delete(f);
  }
  for (const f of b) diffs.push(`only in the copy: ${f}`);
  return diffs;
}

const pairs: [string, string, string][] = [
  ['conformance vectors', join(sharedDir, 'conformance'), vectorsDir],
  ['podman fixtures', join(sharedDir, 'fixtures', 'podman'), podmanFixturesDir],
];

describe('repository copies of ../shared', () => {
  for (const [what, upstream, copy] of pairs) {
    it(
      `${what}: ${relative(join(vectorsDir, '..', '..', '..'), copy)} ` +
        `equals ${upstream} byte for byte when that exists`,
      () => {
        expect(existsSync(copy), `${copy} is missing`).toBe(true);
        expect(filesUnder(copy).length).toBeGreaterThan(0);
        if (!existsSync(upstream)) return; // a fresh clone: the copy is all there is
        expect(treeDifferences(upstream, copy), `re-copy with: cp -a ${upstream}/. ${copy}/`).toEqual([]);
      },
    );
  }

  it('the comparison notices a changed byte, a missing file and an extra file', async () => {
    const { writeFileSync, rmSync, mkdirSync } = await import('node:fs');
    const root = tempDir('vectors-copy-');
    for (const side of ['up', 'copy']) mkdirSync(join(root, side, 'sub'), { recursive: true });
    writeFileSync(join(root, 'up', 'a.json'), '{"a":1}');
    writeFileSync(join(root, 'copy', 'a.json'), '{"a":2}');
    writeFileSync(join(root, 'up', 'sub', 'b.log'), 'b');
    writeFileSync(join(root, 'copy', 'c.txt'), 'c');
    expect(treeDifferences(join(root, 'up'), join(root, 'copy'))).toEqual([
      'differs: a.json',
      'missing from the copy: sub/b.log',
      'only in the copy: c.txt',
    ]);
    writeFileSync(join(root, 'copy', 'a.json'), '{"a":1}');
    mkdirSync(join(root, 'copy', 'sub'), { recursive: true });
    writeFileSync(join(root, 'copy', 'sub', 'b.log'), 'b');
    rmSync(join(root, 'copy', 'c.txt'));
    expect(treeDifferences(join(root, 'up'), join(root, 'copy'))).toEqual([]);
  });
});
