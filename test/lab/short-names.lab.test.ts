// Short names on real podman: what containers/image really does with an alias, a search list whose first registry
// is down, and enforcing mode with an ambiguous list, compared with the engine (short-names.ts, resolve.ts).
// podman takes the mode from registries.conf (CRI-O >= 1.34 takes it from crio.conf) and, without a TTY, says
// "short-name resolution enforced but cannot prompt without a TTY"; CRI-O replaces that with "short name mode is
// enforcing, but image name X returns ambiguous list". Both wordings are asserted below.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvidenceFromFile } from '../../src/files/log-lines.ts';
import { parseRegistriesConf } from '../../src/domain/registries-conf.ts';
import { resolve } from '../../src/domain/resolve.ts';
import { resolveShortName, shortNameConfigOf } from '../../src/domain/short-names.ts';
import { Lab, MA, MDOWN, MREPO, REPO, SRC } from './lab.ts';
import type { RunResult } from './lab.ts';
import { SHORT_NAME_SCENARIOS } from './short-name-scenarios.ts';

let lab: Lab;
beforeAll(async () => {
  lab = await Lab.start();
}, 180_000);
afterAll(async () => {
  await lab?.stop();
}, 60_000);

const scenario = (name: string) => SHORT_NAME_SCENARIOS.find((s) => s.name === name)!;
const context = (r: RunResult): string =>
  `\n--- ${r.command.join(' ')} (exit ${r.exitCode})\n${r.log
    .split('\n')
    .filter((l) => /Trying to access|Resolv|short-name|failed: |^Error/.test(l))
    .join('\n')}`;

/** The engine's plan for a short name: each candidate's pull sources, concatenated (podman's walk order). */
function enginePlan(conf: string, ref: string, mode: 'enforcing' | 'permissive' | 'disabled') {
  const parsed = parseRegistriesConf(conf);
  const r = resolveShortName(ref, shortNameConfigOf(parsed), mode, 'podman');
  return {
    r,
    sources:
      r.error === null ? r.candidates.flatMap((c) => resolve(parsed, c).pullSources.map((s) => s.reference)) : [],
  };
}

describe('short names on real podman', () => {
  it('alias hit: the alias is the only candidate in enforcing mode', async () => {
    const s = scenario('short-name-alias-hit');
    const r = await lab.podmanPullConf(s.name, s.conf, s.ref);
    const { evidence } = await readEvidenceFromFile(r.logFile);
    expect(r.exitCode, context(r)).toBe(0);
    expect(r.log, context(r)).toContain(`Resolved "exampleimage" as an alias (${r.registriesConf})`);
    expect(
      evidence.attempts.map((a) => [a.reference, a.outcome]),
      context(r),
    ).toEqual([[`${SRC}/${REPO}:latest`, 'served']]);
    const e = enginePlan(s.conf, s.ref, 'enforcing');
    expect(e.r.error).toBeNull();
    expect(e.r.alias).toEqual({
      name: 'exampleimage',
      value: `${SRC}/${REPO}`,
      origin: '/etc/containers/registries.conf',
    });
    expect(e.sources).toEqual([`${SRC}/${REPO}:latest`]);
  });

  it(
    'search order: the first search registry fails, the second ' + 'candidate is pulled through its own mirror',
    async () => {
      const s = scenario('short-name-search-first-fails');
      const r = await lab.podmanPullConf(s.name, s.conf, s.ref);
      const { evidence } = await readEvidenceFromFile(r.logFile);
      expect(r.exitCode, context(r)).toBe(0);
      expect(r.log, context(r)).toContain(
        `Resolving "${REPO}" using unqualified-search registries (${r.registriesConf})`,
      );
      // podman's copy retries a network failure of the same source (libimage: 3 retries), so the unreachable first
      // candidate shows up more than once in a row; the order of distinct sources is what resolution decides.
      const all = evidence.attempts.map((a) => [a.reference, a.outcome]);
      const tried = all.filter((t, i) => i === 0 || t[0] !== all[i - 1]![0]);
      expect(all.filter((t) => t[0] === `${MDOWN}/${REPO}:latest`).length, context(r)).toBeGreaterThanOrEqual(1);
      expect(tried, context(r)).toEqual([
        [`${MDOWN}/${REPO}:latest`, 'connection-refused'],
        [`${MA}/${MREPO}:latest`, 'served'],
      ]);
      // the engine's order is podman's: candidate 1, then candidate 2's mirror, then its source (not reached)
      const e = enginePlan(s.conf, s.ref, 'permissive');
      expect(e.r.candidates).toEqual([`${MDOWN}/${REPO}:latest`, `${SRC}/${REPO}:latest`]);
      expect(e.sources).toEqual([`${MDOWN}/${REPO}:latest`, `${MA}/${MREPO}:latest`, `${SRC}/${REPO}:latest`]);
      expect(e.sources.slice(0, tried.length)).toEqual(tried.map((t) => t[0]));
    },
  );

  it("enforcing, ambiguous: podman's words, and CRI-O's for the same configuration", async () => {
    const s = scenario('short-name-enforcing-ambiguous');
    const r = await lab.podmanPullConf(s.name, s.conf, s.ref);
    const { evidence } = await readEvidenceFromFile(r.logFile);
    expect(r.exitCode, context(r)).not.toBe(0);
    expect(r.log, context(r)).toContain('short-name resolution enforced but cannot prompt without a TTY');
    expect(evidence.attempts, context(r)).toEqual([]);
    const parsed = parseRegistriesConf(s.conf);
    expect(resolveShortName(s.ref, shortNameConfigOf(parsed), 'enforcing', 'podman').error?.message).toBe(
      'short-name resolution enforced but cannot prompt without a TTY',
    );
    expect(resolveShortName(s.ref, shortNameConfigOf(parsed), 'enforcing', 'cri-o').error?.message).toBe(
      `short name mode is enforcing, but image name ${s.ref} returns ambiguous list`,
    );
  });
});
