// HeapTrim (src/runtime/heap-trim.ts): a memory-reducing GC through the in-process inspector. Measured in a
// process of its own (the test runner's heap would blur it): after a burst of garbage that lived long enough to
// reach the old space, V8 keeps the freed pages in RSS; one trim gives them back.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HeapTrim } from '../../src/runtime/heap-trim.ts';

const MODULE = join(import.meta.dirname, '..', '..', 'src', 'runtime', 'heap-trim.ts');

const BURST = `
import { HeapTrim } from ${JSON.stringify(MODULE)};
const rss = () => process.memoryUsage().rss;
const keep = [];
for (let round = 0; round < 40; round++) {
  const batch = [];
  for (let i = 0; i < 20000; i++) batch.push({ a: 'x'.repeat(50) + i, b: [i, i + 1], c: { d: i } });
  keep.push(batch);
  if (keep.length > 5) keep.shift();
  await new Promise((r) => setTimeout(r, 5));
}
keep.length = 0;
await new Promise((r) => setTimeout(r, 300));
const before = rss();
const trim = new HeapTrim();
if (process.argv[1] === 'trim') await trim.trim();
else await new Promise((r) => setTimeout(r, 300));
trim.close();
process.stdout.write(JSON.stringify({ before, after: rss(), trims: trim.trims }));
`;

function burst(mode: 'trim' | 'wait'): { before: number; after: number; trims: number } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', BURST, mode], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as { before: number; after: number; trims: number };
}

const MB = 1024 * 1024;

describe('HeapTrim', () => {
  it("gives a burst's freed heap pages back to the system (and without it they stay)", () => {
    const kept = burst('wait');
    expect(kept.trims).toBe(0);
    expect(kept.before).toBeGreaterThan(200 * MB);
    expect(kept.after).toBeGreaterThan(kept.before - 50 * MB);
    const trimmed = burst('trim');
    expect(trimmed.trims).toBe(1);
    expect(trimmed.before).toBeGreaterThan(200 * MB);
    expect(trimmed.after).toBeLessThan(trimmed.before - 150 * MB);
  }, 60_000);

  it('trims at most once per interval, and never after close()', async () => {
    let now = 0;
    const trim = new HeapTrim(1_000, () => now);
    await trim.trim();
    await trim.trim();
    expect(trim.trims).toBe(1);
    now = 1_000;
    await trim.trim();
    expect(trim.trims).toBe(2);
    trim.close();
    now = 5_000;
    await trim.trim();
    expect(trim.trims).toBe(2);
  });

  it('soon(): calls within the delay make one trim, after the last of them', async () => {
    const trim = new HeapTrim(0);
    trim.soon(50);
    await new Promise((r) => setTimeout(r, 20));
    trim.soon(50);
    await new Promise((r) => setTimeout(r, 20));
    expect(trim.trims).toBe(0);
    await new Promise((r) => setTimeout(r, 100));
    expect(trim.trims).toBe(1);
    trim.soon(10);
    trim.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(trim.trims).toBe(1);
  });
});
