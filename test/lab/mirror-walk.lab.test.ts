// Real podman / skopeo against real registries: (a) the parser reads what really happened, (b) the order the
// engine predicts from registries.conf is the order podman really tried. Needs root and the Debian packages
// podman skopeo docker-registry apache2-utils openssl (see .ci/run); a missing tool fails the suite, never skips.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvidenceFromFile } from '../../src/files/log-lines.ts';
import { judgeEvidence } from '../../src/domain/evidence/evidence-verdict.ts';
import type { EvidenceVerdictCode } from '../../src/domain/evidence/evidence-verdict.ts';
import type { AttemptOutcome } from '../../src/domain/evidence/evidence-types.ts';
import { parseRegistriesConf } from '../../src/domain/registries-conf.ts';
import { resolve } from '../../src/domain/resolve.ts';
import { HEADER, Lab, MA, MAUTH, MB, MDOWN, MREPO, MUNTRUSTED, REPO, SRC, WILD_SRC_HOST } from './lab.ts';
import type { RunResult } from './lab.ts';

let lab: Lab;

beforeAll(async () => {
  lab = await Lab.start();
}, 180_000);

afterAll(async () => {
  await lab?.stop();
}, 60_000);

/** ICSP as the MCO rendered it up to 4.12: mirror-by-digest-only on the entry. */
function icsp(location: string, ...mirrors: string[]): string {
  return (
    `\n[[registry]]\n  prefix = ""\n  location = "${location}"\n  mirror-by-digest-only = ` +
    `true\n${mirrors.map((m) => `\n  [[registry.mirror]]\n    location = "${m}"\n`).join('')}`
  );
}

/** IDMS / ITMS as the MCO renders them now: pull-from-mirror per mirror; NeverContactSource = blocked. */
function mirrorSet(location: string, mode: 'digest-only' | 'tag-only', blocked: boolean, ...mirrors: string[]): string {
  return (
    `\n[[registry]]\n  prefix = ""\n  location = "${location}"\n${blocked ? '  blocked = true\n' : ''}` +
    mirrors.map((m) => `\n  [[registry.mirror]]\n    location = "${m}"\n    pull-from-mirror = "${mode}"\n`).join('')
  );
}

interface Scenario {
  name: string;
  tool?: 'podman' | 'skopeo';
  conf: string;
  /** Built once the lab knows the image digest. */
  ref: () => string;
  attempts: () => [string, AttemptOutcome][];
  served: (() => string) | null;
  verdict: EvidenceVerdictCode;
  extra?: () => string[];
}

const D = (): string => lab.digest;
const MISSING = 'sha256:6076a05fe8007697245a5ae8eb2d60029c924e553979e9791482909694e5bead';
const sDig = (): string => `${SRC}/${REPO}@${D()}`;
const sTag = `${SRC}/${REPO}:latest`;

const scenarios: Scenario[] = [
  {
    name: 'mirror hit',
    conf: icsp(`${SRC}/repo`, `${MA}/mirror/repo`, `${MB}/mirror/repo`),
    ref: sDig,
    attempts: () => [[`${MA}/${MREPO}@${D()}`, 'served']],
    served: () => `${MA}/${MREPO}@${D()}`,
    verdict: 'mirror-hit',
  },
  {
    name: 'mirror hit, skopeo inspect',
    tool: 'skopeo',
    conf: icsp(`${SRC}/repo`, `${MA}/mirror/repo`, `${MB}/mirror/repo`),
    ref: sDig,
    attempts: () => [[`${MA}/${MREPO}@${D()}`, 'served']],
    served: () => `${MA}/${MREPO}@${D()}`,
    verdict: 'mirror-hit',
  },
  {
    name: 'second mirror',
    conf: icsp(`${SRC}/repo`, `${MA}/empty/repo`, `${MB}/mirror/repo`),
    ref: sDig,
    attempts: () => [
      [`${MA}/empty/repo/exampleimage@${D()}`, 'manifest-unknown'],
      [`${MB}/${MREPO}@${D()}`, 'served'],
    ],
    served: () => `${MB}/${MREPO}@${D()}`,
    verdict: 'mirror-hit',
  },
  {
    name: 'fallback to source',
    conf: icsp(`${SRC}/repo`, `${MA}/empty/repo`, `${MB}/empty/repo`),
    ref: sDig,
    attempts: () => [
      [`${MA}/empty/repo/exampleimage@${D()}`, 'manifest-unknown'],
      [`${MB}/empty/repo/exampleimage@${D()}`, 'manifest-unknown'],
      [sDig(), 'served'],
    ],
    served: sDig,
    verdict: 'source-fallback',
  },
  {
    name: 'tag pull with digest-only mirrors (IDMS)',
    conf: mirrorSet(`${SRC}/repo`, 'digest-only', false, `${MA}/mirror/repo`, `${MB}/mirror/repo`),
    ref: () => sTag,
    attempts: () => [[sTag, 'served']],
    served: () => sTag,
    verdict: 'source-fallback',
  },
  {
    name: 'tag pull with tag-only mirrors (ITMS)',
    conf: mirrorSet(`${SRC}/repo`, 'tag-only', false, `${MA}/mirror/repo`, `${MB}/mirror/repo`),
    ref: () => sTag,
    attempts: () => [[`${MA}/${MREPO}:latest`, 'served']],
    served: () => `${MA}/${MREPO}:latest`,
    verdict: 'mirror-hit',
  },
  {
    name: 'digest pull with tag-only mirrors (ITMS)',
    conf: mirrorSet(`${SRC}/repo`, 'tag-only', false, `${MA}/mirror/repo`),
    ref: sDig,
    attempts: () => [[sDig(), 'served']],
    served: sDig,
    verdict: 'source-fallback',
  },
  {
    name: 'connection refused',
    conf: icsp(`${SRC}/repo`, `${MDOWN}/mirror/repo`),
    ref: sDig,
    attempts: () => [
      [`${MDOWN}/${MREPO}@${D()}`, 'connection-refused'],
      [sDig(), 'served'],
    ],
    served: sDig,
    verdict: 'source-fallback',
  },
  {
    name: 'untrusted TLS',
    conf: icsp(`${SRC}/repo`, `${MUNTRUSTED}/mirror/repo`),
    ref: sDig,
    attempts: () => [
      [`${MUNTRUSTED}/${MREPO}@${D()}`, 'tls'],
      [sDig(), 'served'],
    ],
    served: sDig,
    verdict: 'source-fallback',
  },
  {
    name: '401 without credentials',
    conf: icsp(`${SRC}/repo`, `${MAUTH}/mirror/repo`),
    ref: sDig,
    attempts: () => [
      [`${MAUTH}/${MREPO}@${D()}`, 'unauthorized'],
      [sDig(), 'served'],
    ],
    served: sDig,
    verdict: 'source-fallback',
  },
  {
    name: '401 with an auth file',
    conf: icsp(`${SRC}/repo`, `${MAUTH}/mirror/repo`),
    ref: sDig,
    extra: () => ['--authfile', lab.writeAuthFile('authfile')],
    attempts: () => [[`${MAUTH}/${MREPO}@${D()}`, 'served']],
    served: () => `${MAUTH}/${MREPO}@${D()}`,
    verdict: 'mirror-hit',
  },
  {
    name: 'NeverContactSource, no mirror has it',
    conf: mirrorSet(`${SRC}/repo`, 'digest-only', true, `${MA}/empty/repo`, `${MB}/empty/repo`),
    ref: sDig,
    attempts: () => [
      [`${MA}/empty/repo/exampleimage@${D()}`, 'manifest-unknown'],
      [`${MB}/empty/repo/exampleimage@${D()}`, 'manifest-unknown'],
      [sDig(), 'blocked'],
    ],
    served: null,
    verdict: 'all-failed',
  },
  {
    name: 'NeverContactSource, second mirror has it',
    conf: mirrorSet(`${SRC}/repo`, 'digest-only', true, `${MA}/empty/repo`, `${MB}/mirror/repo`),
    ref: sDig,
    attempts: () => [
      [`${MA}/empty/repo/exampleimage@${D()}`, 'manifest-unknown'],
      [`${MB}/${MREPO}@${D()}`, 'served'],
    ],
    served: () => `${MB}/${MREPO}@${D()}`,
    verdict: 'mirror-hit',
  },
  {
    name: 'NeverContactSource, tag pull with digest-only mirrors',
    conf: mirrorSet(`${SRC}/repo`, 'digest-only', true, `${MA}/mirror/repo`),
    ref: () => sTag,
    attempts: () => [[sTag, 'blocked']],
    served: null,
    verdict: 'all-failed',
  },
  {
    name: 'source location with a trailing slash',
    conf: icsp(`${SRC}/repo/`, `${MA}/empty/repo`),
    ref: sDig,
    attempts: () => [
      [`${MA}/empty/repo/exampleimage@${D()}`, 'manifest-unknown'],
      [sDig(), 'served'],
    ],
    served: sDig,
    verdict: 'source-fallback',
  },
  {
    name: 'prefix with a trailing slash',
    conf:
      `\n[[registry]]\n  prefix = "${SRC}/repo/"\n  location = "${SRC}/repo"\n  ` +
      `mirror-by-digest-only = true\n\n  [[registry.mirror]]\n    location = "${MA}/mirror/repo"\n`,
    ref: sDig,
    attempts: () => [[`${MA}/${MREPO}@${D()}`, 'served']],
    served: () => `${MA}/${MREPO}@${D()}`,
    verdict: 'mirror-hit',
  },
  {
    name: 'partial path component prefix does not match',
    conf: icsp(`${SRC}/rep`, `${MA}/mirror/rep`),
    ref: sDig,
    attempts: () => [[sDig(), 'served']],
    served: sDig,
    verdict: 'source-fallback',
  },
  {
    name: 'whole-registry prefix',
    conf: icsp(SRC, `${MA}/empty`, `${MA}/mirror`),
    ref: sDig,
    attempts: () => [
      [`${MA}/empty/${REPO}@${D()}`, 'manifest-unknown'],
      [`${MA}/mirror/${REPO}@${D()}`, 'served'],
    ],
    served: () => `${MA}/mirror/${REPO}@${D()}`,
    verdict: 'mirror-hit',
  },
  {
    name: 'wildcard prefix, mirror hit',
    conf:
      '\n[[registry]]\n  prefix = "*.example.test"\n  location = ""\n  mirror-by-digest-only = ' +
      'true\n\n  [[registry.mirror]]\n    location = "mirror.example.test:5002/mirror"\n',
    ref: () => `${WILD_SRC_HOST}/${REPO}@${D()}`,
    attempts: () => [[`mirror.example.test:5002/mirror/${REPO}@${D()}`, 'served']],
    served: () => `mirror.example.test:5002/mirror/${REPO}@${D()}`,
    verdict: 'mirror-hit',
  },
  {
    name: 'wildcard prefix, fallback to the unchanged source',
    conf:
      '\n[[registry]]\n  prefix = "*.example.test"\n  location = ""\n  mirror-by-digest-only = ' +
      'true\n\n  [[registry.mirror]]\n    location = "mirror.example.test:5002/empty"\n',
    ref: () => `${WILD_SRC_HOST}/${REPO}@${D()}`,
    attempts: () => [
      [`mirror.example.test:5002/empty/${REPO}@${D()}`, 'manifest-unknown'],
      [`${WILD_SRC_HOST}/${REPO}@${D()}`, 'served'],
    ],
    served: () => `${WILD_SRC_HOST}/${REPO}@${D()}`,
    verdict: 'source-fallback',
  },
  {
    name: 'all fail',
    conf: icsp(`${SRC}/repo`, `${MA}/mirror/repo`, `${MDOWN}/mirror/repo`, `${MUNTRUSTED}/mirror/repo`),
    ref: () => `${SRC}/${REPO}@${MISSING}`,
    attempts: () => [
      [`${MA}/${MREPO}@${MISSING}`, 'manifest-unknown'],
      [`${MDOWN}/${MREPO}@${MISSING}`, 'connection-refused'],
      [`${MUNTRUSTED}/${MREPO}@${MISSING}`, 'tls'],
      [`${SRC}/${REPO}@${MISSING}`, 'manifest-unknown'],
    ],
    served: null,
    verdict: 'all-failed',
  },
];

function context(r: RunResult): string {
  return `\n--- ${r.command.join(' ')} (exit ${r.exitCode})\n${r.log
    .split('\n')
    .filter((l) => /Trying to access|failed: |^Error|fatal/.test(l))
    .join('\n')}`;
}

describe('real podman / skopeo mirror walks', () => {
  for (const s of scenarios) {
    it(
      s.name,
      async () => {
        const ref = s.ref();
        const r =
          s.tool === 'skopeo'
            ? await lab.skopeoInspect(s.name.replace(/\W+/g, '-'), s.conf, ref, s.extra?.() ?? [])
            : await lab.podmanPull(s.name.replace(/\W+/g, '-'), s.conf, ref, s.extra?.() ?? []);
        const { evidence } = await readEvidenceFromFile(r.logFile);

        // (a) the parser reads what really happened
        expect(
          evidence.attempts.map((a) => [a.reference, a.outcome]),
          context(r),
        ).toEqual(s.attempts());
        expect(evidence.configFiles[0], context(r)).toBe(r.registriesConf);
        if (s.served !== null) {
          expect(r.exitCode, context(r)).toBe(0);
          expect(evidence.served, context(r)).toEqual({ reference: s.served(), digest: lab.digest });
          expect(evidence.finalError).toBeNull();
        } else {
          expect(r.exitCode, context(r)).not.toBe(0);
          expect(evidence.served).toBeNull();
          expect(evidence.finalError, context(r)).not.toBeNull();
        }

        // (b) the engine's order is podman's order: the walk is a prefix of the plan (it stops at the winner),
        // and all of it when every candidate failed
        const plan = resolve(parseRegistriesConf(HEADER + s.conf), ref);
        const tried = evidence.attempts.map((a) => a.reference);
        const predicted = plan.pullSources.map((p) => p.reference);
        expect(tried, context(r)).toEqual(s.served !== null ? predicted.slice(0, tried.length) : predicted);
        // blocked attempts are the ones the plan marks blocked
        for (const a of evidence.attempts) {
          expect(a.outcome === 'blocked').toBe(
            plan.pullSources.find((p) => p.reference === a.reference)?.blocked ?? false,
          );
        }
        expect(judgeEvidence(evidence, plan, { image: ref }).verdict.code).toBe(s.verdict);
      },
      120_000,
    );
  }

  it('the verdict reports the node skipping a mirror the policies add (plan-mismatch)', async () => {
    // the node's registries.conf has only mirror B; the policies (the plan) also list mirror A first
    const node = icsp(`${SRC}/repo`, `${MB}/mirror/repo`);
    const policies = icsp(`${SRC}/repo`, `${MA}/mirror/repo`, `${MB}/mirror/repo`);
    const r = await lab.podmanPull('plan-mismatch', node, sDig());
    const { evidence } = await readEvidenceFromFile(r.logFile);
    expect(
      evidence.attempts.map((a) => a.reference),
      context(r),
    ).toEqual([`${MB}/${MREPO}@${D()}`]);
    const verdict = judgeEvidence(evidence, resolve(parseRegistriesConf(HEADER + policies), sDig()), {
      image: sDig(),
    }).verdict;
    expect(verdict.code).toBe('plan-mismatch');
    expect(verdict.summary).toContain(`never tried your mirror ${MA}/mirror/repo`);
  }, 120_000);

  it(
    'mirror location with a trailing slash: podman 4.3 ' + '(containers/image 5.23) fails, the engine follows upstream',
    async () => {
      // containers/image trims a trailing slash of a mirror location only since v5.35.0 (upstream commit "Actually
      // record the outcome of the parseLocation canonicalization", Feb 2025). Before, the slash stays, the rewritten
      // reference holds "//" and the whole pull fails without trying any candidate. The engine follows upstream
      // (mirror tried, then source); this test records both facts instead of hiding the difference.
      const conf = icsp(`${SRC}/repo`, `${MA}/mirror/repo/`);
      const r = await lab.podmanPull('mirror-trailing-slash', conf, sDig());
      const { evidence } = await readEvidenceFromFile(r.logFile);
      expect(r.exitCode).not.toBe(0);
      expect(evidence.attempts).toEqual([]);
      expect(evidence.finalError, context(r)).toContain('rewriting reference: invalid reference format');
      const plan = resolve(parseRegistriesConf(HEADER + conf), sDig());
      expect(plan.pullSources.map((p) => p.reference)).toEqual([`${MA}/${MREPO}@${D()}`, sDig()]);
      const verdict = judgeEvidence(evidence, plan, { image: sDig() }).verdict;
      expect(verdict.code).toBe('no-attempts');
      expect(verdict.summary).toContain('rewriting reference failed');
    },
    120_000,
  );
});
