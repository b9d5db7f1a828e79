// The short-name captures of test/fixtures/podman-lab/short-name-* (real podman 4.3, written by
// test/lab/capture-short-name-fixtures.ts) as tests that run anywhere: the engine's candidates and their pull
// sources are the order podman walked, an alias is the only candidate, and enforcing with an ambiguous list fails
// before any registry with podman's words (the engine gives podman's or CRI-O's on request).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEvidenceFromFile } from '../../../src/files/log-lines.ts';
import { parseRegistriesConf } from '../../../src/domain/registries-conf.ts';
import { resolve } from '../../../src/domain/resolve.ts';
import { resolveShortName, shortNameConfigOf } from '../../../src/domain/short-names.ts';
import type { ShortNameMode } from '../../../src/domain/short-names.ts';
import { SHORT_NAME_SCENARIOS } from '../../lab/short-name-scenarios.ts';
import { repoRoot } from '../../helpers/shared-dir.ts';

const DIR = join(repoRoot, 'test/fixtures/podman-lab');
const MDOWN = '127.0.0.1:5009';
const SRC = '127.0.0.1:5001';
const MA = '127.0.0.1:5002';

const expected: Record<string, { mode: ShortNameMode; exitCode: number; logLine: string; walk: string[] }> = {
  'short-name-alias-hit': {
    mode: 'enforcing',
    exitCode: 0,
    logLine: 'Resolved "exampleimage" as an alias (',
    walk: [`${SRC}/repo/exampleimage:latest`],
  },
  'short-name-search-first-fails': {
    mode: 'permissive',
    exitCode: 0,
    logLine: 'Resolving "repo/exampleimage" using unqualified-search registries (',
    walk: [`${MDOWN}/repo/exampleimage:latest`, `${MA}/mirror/repo/exampleimage:latest`],
  },
  'short-name-enforcing-ambiguous': {
    mode: 'enforcing',
    exitCode: 125,
    logLine: 'Error: short-name resolution enforced but cannot prompt without a TTY',
    walk: [],
  },
};

describe('short-name lab captures (real podman)', () => {
  it('every scenario has a capture and an expectation', () => {
    expect(SHORT_NAME_SCENARIOS.map((s) => s.name).sort()).toEqual(Object.keys(expected).sort());
  });
  for (const s of SHORT_NAME_SCENARIOS) {
    it(`${s.name}: ${s.title}`, async () => {
      const x = expected[s.name]!;
      const dir = join(DIR, s.name);
      expect(readFileSync(join(dir, 'registries.conf'), 'utf8')).toBe(s.conf);
      const outcome = JSON.parse(readFileSync(join(dir, 'outcome.json'), 'utf8')) as {
        image: string;
        exitCode: number;
      };
      expect(outcome).toEqual({ image: s.ref, exitCode: x.exitCode });
      const log = readFileSync(join(dir, 'output.log'), 'utf8');
      expect(log).toContain(x.logLine);

      const { evidence } = await readEvidenceFromFile(join(dir, 'output.log'));
      const all = evidence.attempts.map((a) => a.reference);
      const walk = all.filter((r, i) => i === 0 || r !== all[i - 1]); // podman retries a network failure in place
      expect(walk).toEqual(x.walk);

      const conf = parseRegistriesConf(s.conf);
      expect(conf.shortNameMode).toBe(x.mode);
      const res = resolveShortName(s.ref, shortNameConfigOf(conf), x.mode, 'podman');
      if (x.exitCode !== 0) {
        expect(res.error?.message).toBe('short-name resolution enforced but cannot prompt without a TTY');
        expect(log).toContain(`Error: ${res.error?.message}`);
        // what CRI-O says for the same configuration and name
        expect(resolveShortName(s.ref, shortNameConfigOf(conf), x.mode, 'cri-o').error?.message).toBe(
          'short name mode is enforcing, but image name repo/exampleimage:latest returns ambiguous list',
        );
        return;
      }
      expect(res.error).toBeNull();
      const plan = res.candidates.flatMap((c) => resolve(conf, c).pullSources.map((p) => p.reference));
      // podman stops at the first source that serves: its walk is a prefix of the engine's plan
      expect(plan.slice(0, walk.length)).toEqual(walk);
    });
  }
});
