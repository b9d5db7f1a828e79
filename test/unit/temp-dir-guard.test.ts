// Tests leave nothing in the temp dir (CI runs on a long-lived machine): every suite's setup file
// (test/helpers/temp-dir-guard.ts) gives each test file its own TMPDIR and fails the file that leaves anything there.
// Here the guard runs for real, in a vitest of its own over test/fixtures/temp-dir-guard/; and no test, bench or
// script makes a temporary directory other than through test/helpers/temp-dir.ts.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/shared-dir.ts';
import { tempDir } from '../helpers/test-temp-dir.ts';

interface JsonReport {
  testResults: Array<{ name: string; status: string; message: string; assertionResults: Array<{ status: string }> }>;
}

describe('the temp-dir guard', () => {
  it('fails the file that leaves directories, passes the one that uses tempDir(), and leaves nothing', () => {
    const tmp = tempDir('icsp-guard-run-');
    const report = join(tmp, 'report.json');
    // the inner vitest must not think it is a worker of this one
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST')));
    const r = spawnSync(
      process.execPath,
      [
        join(repoRoot, 'node_modules/vitest/vitest.mjs'),
        'run',
        '-c',
        'test/fixtures/temp-dir-guard/vitest.config.ts',
        '--reporter=json',
        `--outputFile=${report}`,
      ],
      { cwd: repoRoot, env: { ...env, TMPDIR: tmp, ICSP_KEEP_TMP: '', LAB_KEEP: '' }, encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(1);
    const files = Object.fromEntries(
      (JSON.parse(readFileSync(report, 'utf8')) as JsonReport).testResults.map((f) => [relative(repoRoot, f.name), f]),
    );
    const dir = 'test/fixtures/temp-dir-guard';
    const leaks = files[`${dir}/leaks.fixture.ts`]!;
    expect(leaks.status).toBe('failed');
    expect(leaks.assertionResults.map((a) => a.status)).toEqual(['passed']);
    expect(leaks.message).toMatch(/this test file left icsp-leak-\w{6}, whatif-leak-\w{6} in its temp dir/);
    expect(files[`${dir}/cleans.fixture.ts`]!.status).toBe('passed');
    const fails = files[`${dir}/fails.fixture.ts`]!;
    expect(fails.status).toBe('failed');
    expect(fails.assertionResults.map((a) => a.status)).toEqual(['failed']);
    expect(fails.message).not.toContain('left');
    // every file's TMPDIR is gone, what leaked with it: only the report is left
    expect(readdirSync(tmp)).toEqual(['report.json']);
  }, 120_000);
});

describe('temporary directories come from test/helpers/temp-dir.ts', () => {
  // test/controlplane/ is not ours to change (its hash is a cache key); test/fixtures/ holds copies and the leaks
  // the guard must catch.
  const skip = ['test/controlplane', 'test/fixtures', 'node_modules'];
  const allowed = ['test/helpers/temp-dir.ts', 'test/helpers/temp-dir-guard.ts', 'test/unit/temp-dir-guard.test.ts'];
  function sources(dir: string): string[] {
    return readdirSync(join(repoRoot, dir)).flatMap((name) => {
      const rel = `${dir}/${name}`;
      if (skip.includes(rel)) return [];
      if (statSync(join(repoRoot, rel)).isDirectory()) return sources(rel);
      return /\.(ts|js|sh)$/.test(name) && !allowed.includes(rel) ? [rel] : [];
    });
  }
  it('no mkdtemp or mktemp anywhere else in test/, bench/ or scripts/', () => {
    const files = ['test', 'bench', 'scripts'].flatMap(sources);
    expect(files.length).toBeGreaterThan(50);
    const offenders = files.filter((f) => /\bmkdtemp|\bmktemp\b/.test(readFileSync(join(repoRoot, f), 'utf8')));
    expect(offenders, 'use tempDir() (tests) or processTempDir() (benches, scripts)').toEqual([]);
  });
});
