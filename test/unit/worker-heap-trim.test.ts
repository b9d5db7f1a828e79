// The worker threads give a job's freed heap back (src/runtime/heap-trim.ts after each job): at 40,000
// sources a policy generation build freed ~100 MB and a what-if ~300 MB of pages that V8 kept in RSS for good
// (measured: generation worker +298 MB after two builds, what-if worker +418 MB after two what-ifs; with the trim
// +77 and +61 MB). Measured in a process of its own (test/fixtures/heap-trim); the bound sits between the two.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const MB = 1024 * 1024;

function growth(script: string): number {
  const file = join(import.meta.dirname, '..', 'fixtures', 'heap-trim', script);
  const r = spawnSync(process.execPath, ['--expose-gc', file], { encoding: 'utf8', timeout: 120_000 });
  expect(r.stderr).toBe('');
  const m = JSON.parse(r.stdout) as { before: number; after: number };
  return m.after - m.before;
}

describe('worker threads after a job at 40,000 sources', () => {
  it('the policy generation worker keeps under 150 MB more RSS after two builds', () => {
    expect(growth('generation-worker-rss.ts')).toBeLessThan(150 * MB);
  }, 120_000);

  it('the what-if worker keeps under 150 MB more RSS after two what-ifs', () => {
    expect(growth('what-if-worker-rss.ts')).toBeLessThan(150 * MB);
  }, 120_000);
});
