// Every code `explain` (and `explainPull`, its short-name front) and `judgeLive` can emit, one table row each, runnable
// anywhere (no root, Go or podman): the plan verdicts and warnings from policy objects or a registries.conf, the live
// verdicts from real podman logs (../shared/fixtures/podman and test/fixtures/podman-lab). A code added to
// VERDICT_CODES, WARNING_CODES or LIVE_VERDICT_CODES without a row here fails the coverage checks.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explainLive } from '../../src/cluster/live-checker.ts';
import type { CheckOutput } from '../../src/domain/debug-pod.ts';
import { explain, VERDICT_CODES, WARNING_CODES } from '../../src/domain/explain.ts';
import { explainPull } from '../../src/domain/explain-pull.ts';
import type { Explanation, ExplainInput, VerdictCode, WarningCode } from '../../src/domain/explain.ts';
import { judgeLive, LIVE_VERDICT_CODES, NODE_REGISTRIES_CONF } from '../../src/domain/live-verdict.ts';
import type { ExpectedConfiguration, LiveVerdictCode } from '../../src/domain/live-verdict.ts';
import { parseRegistriesConf } from '../../src/domain/registries-conf.ts';
import type { ImageConfig } from '../../src/types/openshift.ts';
import { repoRoot, sharedDir } from '../helpers/shared-dir.ts';
import { idms, itms, set } from '../helpers/policy-objects.ts';

const D = `sha256:${'b'.repeat(64)}`;
const image = (registrySources: NonNullable<ImageConfig['spec']>['registrySources']): ImageConfig => ({
  apiVersion: 'config.openshift.io/v1',
  kind: 'Image',
  metadata: { name: 'cluster' },
  spec: { registrySources },
});
const conf = (toml: string): ExplainInput['conf'] => parseRegistriesConf(toml, [], '/etc/containers/registries.conf');

type PlanRow = { name: string; input: () => Explanation; verdict?: VerdictCode; warning?: WarningCode };

const PLAN_ROWS: PlanRow[] = [
  {
    name: 'digest pull through an IDMS mirror',
    verdict: 'mirror-first',
    input: () =>
      explain({
        reference: `quay.io/ns/app@${D}`,
        policies: set({ idms: [idms('m', 'quay.io/ns', ['mirror.local/ns'])] }),
      }),
  },
  {
    name: 'tag pull against a digest-only (IDMS) mirror',
    verdict: 'tag-pull-skips-digest-mirrors',
    input: () =>
      explain({
        reference: 'quay.io/ns/app:1',
        policies: set({ idms: [idms('m', 'quay.io/ns', ['mirror.local/ns'])] }),
      }),
  },
  {
    name: 'digest pull against a tag-only (ITMS) mirror',
    verdict: 'digest-pull-skips-tag-mirrors',
    input: () =>
      explain({
        reference: `quay.io/ns/app@${D}`,
        policies: set({ itms: [itms('t', 'quay.io/ns', ['tagmirror.local/ns'])] }),
      }),
  },
  {
    name: 'a longer prefix without mirrors hides the mirrors of a broader one',
    verdict: 'shadowed',
    input: () =>
      explain({
        reference: 'quay.io/ns/app:1',
        conf: conf(
          '[[registry]]\nprefix = "quay.io"\nlocation = "quay.io"\n[[registry.mirror]]\nlocation = ' +
            '"mirror.local/quay"\n\n[[registry]]\nprefix = "quay.io/ns"\nlocation = "quay.io/ns"\n',
        ),
      }),
  },
  {
    name: 'the matching entry has no mirrors at all',
    verdict: 'source-only',
    input: () =>
      explain({
        reference: 'quay.io/ns/app:1',
        conf: conf('[[registry]]\nprefix = "quay.io/ns"\nlocation = "quay.io/ns"\ninsecure = true\n'),
      }),
  },
  {
    name: 'no entry matches the image',
    verdict: 'no-mirror-configured',
    input: () =>
      explain({
        reference: 'quay.io/ns/app:1',
        policies: set({ idms: [idms('m', 'registry.example.com/x', ['mirror.local/x'])] }),
      }),
  },
  {
    name: 'NeverContactSource and a tag pull: every candidate blocked',
    verdict: 'all-blocked',
    warning: 'never-contact-source-tag-pull',
    input: () =>
      explain({
        reference: 'quay.io/ns/app:1',
        policies: set({ idms: [idms('m', 'quay.io/ns', ['mirror.local/ns'], 'NeverContactSource')] }),
      }),
  },
  {
    name: 'policy.json (allowedRegistries) rejects the image',
    verdict: 'rejected-by-policy',
    input: () =>
      explain({
        reference: 'quay.io/ns/app:1',
        policies: set({ image: image({ allowedRegistries: ['registry.example.com'] }) }),
      }),
  },
  {
    name: 'a reference that does not parse',
    verdict: 'pull-error',
    input: () => explain({ reference: 'quay.io/NS/app:1', policies: set({}) }),
  },
  {
    name: 'the MCO refuses the objects (conflicting mirrorSourcePolicy)',
    warning: 'mco-rejects-config',
    input: () =>
      explain({
        reference: `quay.io/ns/app@${D}`,
        policies: set({
          idms: [
            idms('a', 'quay.io/ns', ['mirror.local/ns'], 'NeverContactSource'),
            idms('b', 'quay.io/ns', ['other.local/ns']),
          ],
        }),
      }),
  },
  {
    name: 'no Image "cluster" on a live cluster: the MCO renders nothing',
    warning: 'nothing-rendered',
    input: () =>
      explain({
        reference: 'quay.io/ns/app:1',
        policies: set({ idms: [idms('m', 'quay.io/ns', ['mirror.local/ns'])] }),
        render: { requireImageConfig: true },
      }),
  },
  {
    name: 'the payload registry is blocked without an unblocked mirror',
    warning: 'payload-registry-not-blocked',
    input: () =>
      explain({
        reference: 'quay.io/ns/app:1',
        policies: set({
          image: image({ blockedRegistries: ['quay.io'] }),
          releaseImage: `quay.io/openshift-release-dev/ocp-release@${D}`,
        }),
      }),
  },
  {
    name: 'no tag and no digest',
    warning: 'implicit-latest',
    input: () => explain({ reference: 'quay.io/ns/app', policies: set({}) }),
  },
  {
    name: 'the source listed among its own mirrors',
    warning: 'source-tried-twice',
    input: () =>
      explain({
        reference: 'quay.io/ns/app:1',
        conf: conf(
          '[[registry]]\nprefix = "quay.io/ns"\nlocation = ' +
            '"quay.io/ns"\n[[registry.mirror]]\nlocation = "quay.io/ns"\n',
        ),
      }),
  },
  {
    name: 'a host prefix that also matches the host with a port',
    warning: 'host-prefix-matches-port',
    input: () =>
      explain({
        reference: 'quay.io:5000/ns/app:1',
        conf: conf(
          '[[registry]]\nprefix = "quay.io"\nlocation = "quay.io"\n[[registry.mirror]]\nlocation = "mirror.local"\n',
        ),
      }),
  },
  {
    name: 'mirrors of one source from several objects',
    warning: 'merged-mirror-order',
    input: () =>
      explain({
        reference: `quay.io/ns/app@${D}`,
        policies: set({ idms: [idms('a', 'quay.io/ns', ['z.local/ns']), idms('b', 'quay.io/ns', ['a.local/ns'])] }),
      }),
  },
  {
    name: 'a mirror inside an insecure scope does not inherit the flag',
    warning: 'mirror-insecure-not-inherited',
    input: () =>
      explain({
        reference: 'quay.io/ns/app:1',
        conf: conf(
          '[[registry]]\nprefix = "quay.io/ns"\nlocation = "quay.io/ns"\n[[registry.mirror]]\nlocation = ' +
            '"mirror.local/ns"\n\n[[registry]]\nprefix = "mirror.local"\nlocation = "mirror.local"\ninsecure = ' +
            'true\n',
        ),
      }),
  },
  {
    name: 'a node policy.json that asks for signatures is not judged offline',
    warning: 'policy-not-judged',
    input: () =>
      explain({
        reference: 'quay.io/ns/app:1',
        conf: conf('unqualified-search-registries = []\n'),
        nodePolicy: {
          path: '/etc/containers/policy.json',
          policy: {
            default: [{ type: 'insecureAcceptAnything' }],
            transports: { docker: { 'quay.io': [{ type: 'signedBy' } as never] } },
          },
        },
      }),
  },
  {
    name: 'a wildcard whose first occurrence is not the end of the host',
    warning: 'wildcard-first-occurrence',
    input: () =>
      explain({
        reference: 'a.example.com.example.com/app:1',
        conf: conf(
          '[[registry]]\nprefix = "*.example.com"\nlocation = ""\n[[registry.mirror]]\nlocation = "mirror.local/any"\n',
        ),
      }),
  },
  {
    name: 'a short name searched in every search registry (mode disabled)',
    verdict: 'short-name-search',
    input: () =>
      explainPull({ reference: 'myapp:1', policies: set({}), shortNameMode: { mode: 'disabled', source: 'test' } }),
  },
  {
    name: 'a short name with several search registries in enforcing mode',
    verdict: 'short-name-ambiguous',
    input: () =>
      explainPull({ reference: 'myapp:1', policies: set({}), shortNameMode: { mode: 'enforcing', source: 'test' } }),
  },
  {
    name: 'a short name without a known short-name mode',
    warning: 'short-name-mode-uncertain',
    input: () => explainPull({ reference: 'myapp:1', policies: set({}) }),
  },
  {
    name: 'name:tag@digest: CRI-O pulls by digest',
    warning: 'tag-and-digest',
    input: () => explainPull({ reference: `quay.io/ns/app:1@${D}`, policies: set({}) }),
  },
  {
    name: 'the MCO tolerates a failed payload check and drops the blocked registries',
    warning: 'mco-dropped-blocked-registries',
    input: () =>
      explainPull({
        reference: 'evil.example.com/x/y:1',
        policies: set({
          idms: [idms('m', '*.io', ['mirror.local'])],
          image: image({ blockedRegistries: ['quay.io', 'evil.example.com'] }),
          releaseImage: `quay.io/openshift-release-dev/ocp-release@sha256:${'e'.repeat(64)}`,
        }),
      }),
  },
  {
    name: 'live: the watches are stale',
    warning: 'live-policies-stale',
    input: () => explainLive({ policies: set({}), missingKinds: [], stale: true, warnings: [] }, 'quay.io/ns/app:1'),
  },
  {
    name: 'live: a cluster without the IDMS/ITMS APIs',
    warning: 'live-policies-missing-kinds',
    input: () =>
      explainLive(
        { policies: set({}), missingKinds: ['ImageDigestMirrorSet'], stale: false, warnings: [] },
        'quay.io/ns/app:1',
      ),
  },
  {
    name: 'live: an object the bot could not read',
    warning: 'live-policies-input',
    input: () =>
      explainLive(
        {
          policies: set({}),
          missingKinds: [],
          stale: false,
          warnings: ['ImageDigestMirrorSet bad: spec is not an object'],
        },
        'quay.io/ns/app:1',
      ),
  },
];

describe('explain: every verdict and warning code', () => {
  it.each(PLAN_ROWS)('$name', (row) => {
    const e = row.input();
    if (row.verdict !== undefined) expect(e.verdict.code, e.verdict.summary).toBe(row.verdict);
    if (row.warning !== undefined)
      expect(
        e.warnings.map((w) => w.code),
        JSON.stringify(e.warnings),
      ).toContain(row.warning);
    expect(e.verdict.summary.length).toBeGreaterThan(10);
  });

  it('has a row for every verdict code and every warning code', () => {
    expect(new Set(PLAN_ROWS.map((r) => r.verdict).filter((c) => c !== undefined))).toEqual(new Set(VERDICT_CODES));
    expect(new Set(PLAN_ROWS.map((r) => r.warning).filter((c) => c !== undefined))).toEqual(new Set(WARNING_CODES));
  });
});

/** A real podman capture as the debug pod would return it: the node's registries.conf, the log, the summary. */
function capture(dir: string, pullExit: number): { output: CheckOutput; toml: string; reference: string } {
  const toml = readFileSync(join(dir, 'registries.conf'), 'utf8');
  const outcome = JSON.parse(readFileSync(join(dir, 'outcome.json'), 'utf8')) as { image: string };
  return {
    output: {
      confFiles: [{ name: NODE_REGISTRIES_CONF, toml }],
      podmanLog: readFileSync(join(dir, 'output.log'), 'utf8'),
      summary: { pullExit, presentBefore: false, removed: true },
    },
    toml,
    reference: outcome.image,
  };
}

const expectedFrom = (toml: string): ExpectedConfiguration => ({
  conf: parseRegistriesConf(toml, [], NODE_REGISTRIES_CONF),
  refusal: null,
  note: null,
});
const lab = (name: string): string => join(sharedDir, 'fixtures/podman', name);
/** The node's mirrors replaced: what a node would have before the rollout of a changed mirror list. */
const otherMirror = (toml: string): string => toml.replace('127.0.0.1:5002/mirror/repo', '127.0.0.1:5009/other/repo');

type LiveRow = { name: string; code: LiveVerdictCode; run: () => ReturnType<typeof judgeLive> };

const LIVE_ROWS: LiveRow[] = [
  {
    name: 'a mirror served the image',
    code: 'mirror-hit',
    run: () => {
      const c = capture(lab('a-digest-mirror-hit'), 0);
      return judgeLive({ node: 'n', reference: c.reference, output: c.output, expected: expectedFrom(c.toml) });
    },
  },
  {
    name: 'every mirror failed, the source served it',
    code: 'source-fallback',
    run: () => {
      const c = capture(lab('c-digest-fallback-to-source'), 0);
      return judgeLive({ node: 'n', reference: c.reference, output: c.output, expected: expectedFrom(c.toml) });
    },
  },
  {
    name: 'every candidate failed',
    code: 'all-failed',
    run: () => {
      const c = capture(lab('m-all-candidates-fail'), 125);
      return judgeLive({ node: 'n', reference: c.reference, output: c.output, expected: expectedFrom(c.toml) });
    },
  },
  {
    name: 'podman logged no attempt',
    code: 'no-attempts',
    run: () => {
      const c = capture(lab('a-digest-mirror-hit'), 125);
      return judgeLive({
        node: 'n',
        reference: c.reference,
        output: { ...c.output, podmanLog: '' },
        expected: expectedFrom(c.toml),
      });
    },
  },
  {
    name: 'the node lacks the mirror the policies render (rollout not there yet)',
    code: 'plan-mismatch',
    run: () => {
      const c = capture(lab('a-digest-mirror-hit'), 0);
      return judgeLive({
        node: 'n',
        reference: c.reference,
        output: c.output,
        expected: expectedFrom(otherMirror(c.toml)),
        mco: { current: 'rendered-worker-old', desired: 'rendered-worker-new', state: 'Working' },
      });
    },
  },
  {
    name: "podman walked differently from the node's own file",
    code: 'plan-mismatch',
    run: () => {
      const c = capture(lab('a-digest-mirror-hit'), 0);
      const toml = otherMirror(c.toml);
      return judgeLive({
        node: 'n',
        reference: c.reference,
        output: { ...c.output, confFiles: [{ name: NODE_REGISTRIES_CONF, toml }] },
        expected: expectedFrom(toml),
      });
    },
  },
  {
    name: 'policy.json rejected the image',
    code: 'rejected-by-policy',
    run: () => {
      const c = capture(join(repoRoot, 'test/fixtures/podman-lab/policy-reject-source'), 125);
      return judgeLive({ node: 'n', reference: c.reference, output: c.output, expected: expectedFrom(c.toml) });
    },
  },
  {
    name: 'the check output has no summary line (cut off)',
    code: 'check-failed',
    run: () => {
      const c = capture(lab('a-digest-mirror-hit'), 0);
      return judgeLive({
        node: 'n',
        reference: c.reference,
        output: { ...c.output, summary: null },
        expected: expectedFrom(c.toml),
      });
    },
  },
  {
    name: 'the check was stopped while podman backed off from a 429 (the real capture, cut at its last back-off)',
    code: 'rate-limited',
    run: () => {
      const c = capture(join(repoRoot, 'test/fixtures/podman-lab/rate-limited-backoff-source'), 125);
      const lines = c.output.podmanLog.split('\n');
      const cut = lines.findLastIndex((l) => l.includes('sleeping for 16.000000 seconds'));
      return judgeLive({
        node: 'n',
        reference: c.reference,
        output: { ...c.output, podmanLog: lines.slice(0, cut + 1).join('\n'), summary: null },
        expected: expectedFrom(c.toml),
        cutOff: 'the check on n did not finish within its 120 s deadline (activeDeadlineSeconds)',
      });
    },
  },
  {
    name: 'podman gave up: the last candidate answered 429 (the real capture)',
    code: 'rate-limited',
    run: () => {
      const c = capture(join(repoRoot, 'test/fixtures/podman-lab/rate-limited-backoff-source'), 125);
      return judgeLive({ node: 'n', reference: c.reference, output: c.output, expected: expectedFrom(c.toml) });
    },
  },
  {
    name: 'the mirror answered 429, the blocked source decided (the real capture)',
    code: 'all-failed',
    run: () => {
      const c = capture(join(repoRoot, 'test/fixtures/podman-lab/rate-limited-backoff-mirror'), 125);
      return judgeLive({ node: 'n', reference: c.reference, output: c.output, expected: expectedFrom(c.toml) });
    },
  },
  {
    name: 'the check was stopped before any 429 (a cut log without one is not read as rate-limited)',
    code: 'check-failed',
    run: () => {
      const c = capture(join(repoRoot, 'test/fixtures/podman-lab/rate-limited-backoff-source'), 125);
      const lines = c.output.podmanLog.split('\n');
      const cut = lines.findIndex((l) => l.includes('Too many requests to '));
      return judgeLive({
        node: 'n',
        reference: c.reference,
        output: { ...c.output, podmanLog: lines.slice(0, cut).join('\n'), summary: null },
        expected: expectedFrom(c.toml),
        cutOff: 'the check on n did not finish within its 120 s deadline (activeDeadlineSeconds)',
      });
    },
  },
];

describe('judgeLive: every live verdict code', () => {
  it.each(LIVE_ROWS)('$code: $name', (row) => {
    const j = row.run();
    expect(j.verdict.code, `${j.verdict.summary}\n${j.verdict.reasons.join('\n')}`).toBe(row.code);
    expect(j.verdict.summary.length).toBeGreaterThan(10);
  });

  it('rate-limited says who answered 429 and why the check ended, with the back-off that outlasts it', () => {
    const [cut, done] = LIVE_ROWS.filter((r) => r.code === 'rate-limited').map((r) => r.run());
    expect(cut?.verdict.summary).toBe(
      'n is rate-limited by 127.0.0.1:5011: it answered 429 Too Many Requests and podman was still backing off ' +
        'when the check was stopped (the check on n did not finish within its 120 s deadline (activeDeadlineSeconds))',
    );
    expect(done?.verdict.summary).toMatch(/^n is rate-limited by 127\.0\.0\.1:5011: every candidate failed/);
    for (const j of [cut, done]) {
      expect(j?.pulled).toBe(false);
      expect(j?.evidence?.attempts.at(-1)?.outcome).toBe('rate-limited');
      expect(j?.verdict.reasons.join('\n')).toContain(
        'about 124 s for a rate-limited source, longer than the default 120 s deadline',
      );
    }
  });

  it('has a row for every live verdict code', () => {
    expect(new Set(LIVE_ROWS.map((r) => r.code))).toEqual(new Set(LIVE_VERDICT_CODES));
  });
});
