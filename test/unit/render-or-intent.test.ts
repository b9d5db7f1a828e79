// The one rule "render as the MCO does; if it refuses, render the intent" (src/domain/render-or-intent.ts), table
// driven: accepted policies, refused ones (with the MCO's message), the intent as written and lenient (trailing "/"
// and whitespace the MCO refuses trimmed), and a refusal whose intent does not render either.
import { describe, expect, it } from 'vitest';
import { prepareExplainBasis } from '../../src/domain/explain-basis.ts';
import { expectedFrom } from '../../src/domain/live-verdict.ts';
import { renderOrIntent } from '../../src/domain/render-or-intent.ts';
import { describeChange, policyState, renderForRollout } from '../../src/domain/rollout-change.ts';
import { whatIf } from '../../src/domain/what-if.ts';
import { buildGeneration } from '../../src/cluster/policy-generation.ts';
import type { PolicySet } from '../../src/domain/policy-set.ts';
import type { RenderOrIntentOptions } from '../../src/domain/render-or-intent.ts';
import type { ImageConfig, ImageMirrors } from '../../src/types/openshift.ts';

const image = (registrySources: ImageConfig['spec']['registrySources'] = {}): ImageConfig => ({
  apiVersion: 'config.openshift.io/v1',
  kind: 'Image',
  metadata: { name: 'cluster' },
  spec: { registrySources },
});
const icsp = (name: string, source: string, mirrors: string[]): PolicySet['icsps'][number] => ({
  apiVersion: 'operator.openshift.io/v1alpha1',
  kind: 'ImageContentSourcePolicy',
  metadata: { name },
  spec: { repositoryDigestMirrors: [{ source, mirrors }] },
});
const idms = (name: string, m: ImageMirrors): PolicySet['idms'][number] => ({
  apiVersion: 'config.openshift.io/v1',
  kind: 'ImageDigestMirrorSet',
  metadata: { name },
  spec: { imageDigestMirrors: [m] },
});
const itms = (name: string, m: ImageMirrors): PolicySet['itms'][number] => ({
  apiVersion: 'config.openshift.io/v1',
  kind: 'ImageTagMirrorSet',
  metadata: { name },
  spec: { imageTagMirrors: [m] },
});
const set = (p: Partial<PolicySet>): PolicySet => ({ icsps: [], idms: [], itms: [], image: image(), ...p });
const LIVE: RenderOrIntentOptions = { requireImageConfig: true };
const LENIENT: RenderOrIntentOptions = { lenient: true };

interface Row {
  name: string;
  policies: PolicySet;
  opts?: RenderOrIntentOptions;
  refused: boolean;
  /** The MCO's message (refused), else null. */
  error: RegExp | null;
  /** The render (or intent) as "location: mirror, mirror", one per entry; null: nothing renders at all. */
  entries: string[] | null;
  /** Whether the MCO (or the intent) writes a registries.conf at all. */
  rendered?: boolean;
}

const ROWS: Row[] = [
  {
    name: 'accepted: the MCO render itself',
    policies: set({ idms: [idms('a', { source: 'quay.io/app', mirrors: ['m1.local/app'] })] }),
    refused: false,
    error: null,
    entries: ['quay.io/app: m1.local/app'],
    rendered: true,
  },
  {
    name: 'accepted: digest and tag mirrors of one source',
    policies: set({
      idms: [idms('a', { source: 'quay.io/app', mirrors: ['m1.local/app'] })],
      itms: [itms('t', { source: 'quay.io/app', mirrors: ['m2.local/app'] })],
    }),
    refused: false,
    error: null,
    entries: ['quay.io/app: m1.local/app, m2.local/app'],
    rendered: true,
  },
  {
    name: 'accepted: a live cluster without Image "cluster" renders nothing (not a refusal)',
    policies: { icsps: [], idms: [idms('a', { source: 'quay.io/app', mirrors: ['m1.local/app'] })], itms: [] },
    opts: LIVE,
    refused: false,
    error: null,
    entries: [],
    rendered: false,
  },
  {
    name: 'refused: conflicting mirrorSourcePolicy, the intent merges both objects',
    policies: set({
      idms: [
        idms('a', { source: 'quay.io/app', mirrors: ['m1.local/app'], mirrorSourcePolicy: 'NeverContactSource' }),
        idms('b', { source: 'quay.io/app', mirrors: ['m2.local/app'], mirrorSourcePolicy: 'AllowContactingSource' }),
      ],
    }),
    opts: LIVE,
    refused: true,
    error: /^conflicting mirrorSourcePolicy is set for the same source "quay\.io\/app"/,
    entries: ['quay.io/app: m1.local/app, m2.local/app'],
    rendered: true,
  },
  {
    name: 'refused: invalid insecure scope',
    policies: set({
      image: image({ insecureRegistries: ['*.a/b'] }),
      idms: [idms('a', { source: 'quay.io/app', mirrors: ['m1.local/app'] })],
    }),
    refused: true,
    error: /^invalid entry for insecure registries "\*\.a\/b"$/,
    entries: ['quay.io/app: m1.local/app', '*.a/b: '],
    rendered: true,
  },
  {
    name: 'lenient intent: an ICSP source with a trailing "/" is refused, the intent is the trimmed source',
    policies: set({ icsps: [icsp('a', 'quay.io/ns/', ['m.local/ns'])] }),
    opts: LENIENT,
    refused: true,
    error: /^invalid format for source "quay\.io\/ns\/"$/,
    entries: ['quay.io/ns: m.local/ns'],
    rendered: true,
  },
  {
    name: 'lenient intent: trailing whitespace on a source and a mirror',
    policies: set({ icsps: [icsp('a', 'quay.io/ns ', ['m.local/ns/ '])] }),
    opts: LENIENT,
    refused: true,
    error: /^invalid format for source "quay\.io\/ns "$/,
    entries: ['quay.io/ns: m.local/ns'],
    rendered: true,
  },
  {
    name: 'lenient intent: "quay.io/ns/" and "quay.io/ns" are one source once trimmed (no mirror lost)',
    policies: set({
      icsps: [icsp('a', 'quay.io/ns/', ['m.local/ns'])],
      idms: [idms('b', { source: 'quay.io/ns', mirrors: ['m2.local/ns'] })],
    }),
    opts: LENIENT,
    refused: true,
    error: /^invalid format for source "quay\.io\/ns\/"$/,
    entries: ['quay.io/ns: m.local/ns, m2.local/ns'],
    rendered: true,
  },
  {
    name: 'intent as written (the default): the trailing whitespace stays',
    policies: set({ icsps: [icsp('a', 'quay.io/ns ', ['m.local/ns/ '])] }),
    refused: true,
    error: /^invalid format for source "quay\.io\/ns "$/,
    entries: ['quay.io/ns : m.local/ns/ '],
    rendered: true,
  },
  {
    name: 'intent as written: "quay.io/ns/" and "quay.io/ns" stay two sources',
    policies: set({
      icsps: [icsp('a', 'quay.io/ns/', ['m.local/ns'])],
      idms: [idms('b', { source: 'quay.io/ns', mirrors: ['m2.local/ns'] })],
    }),
    opts: { lenient: false },
    refused: true,
    error: /^invalid format for source "quay\.io\/ns\/"$/,
    entries: ['quay.io/ns: m2.local/ns', 'quay.io/ns/: m.local/ns'],
    rendered: true,
  },
  {
    name: 'lenient changes nothing when the MCO accepts',
    policies: set({ idms: [idms('a', { source: 'quay.io/app', mirrors: ['m1.local/app'] })] }),
    opts: LENIENT,
    refused: false,
    error: null,
    entries: ['quay.io/app: m1.local/app'],
    rendered: true,
  },
  {
    name: 'refused, and the intent does not render either (insecure entry nested in a wildcard source)',
    policies: set({
      image: image({ insecureRegistries: ['registry.redhat.io'] }),
      idms: [idms('w', { source: '*.redhat.io', mirrors: ['m.local/rh'] })],
    }),
    refused: true,
    error: /^internal error: mirrorsAdjustedForNestedScope for a wildcard scope "\*\.redhat\.io"$/,
    entries: null,
  },
];

const show = (r: { prefix: string; location: string; mirrors: Array<{ location: string }> }): string =>
  `${r.prefix || r.location}: ${r.mirrors.map((m) => m.location).join(', ')}`;

describe('renderOrIntent: the MCO render, or its refusal and the intent', () => {
  for (const row of ROWS) {
    it(row.name, () => {
      const before = structuredClone(row.policies);
      const r = renderOrIntent(row.policies, row.opts);
      expect(r.refused).toBe(row.refused);
      if (row.error === null) expect(r.error).toBeNull();
      else expect(r.error).toMatch(row.error);
      if (row.entries === null) expect(r.render).toBeNull();
      else {
        expect(r.render?.registries.map(show)).toEqual(row.entries);
        expect(r.render?.rendered).toBe(row.rendered);
      }
      // The lenient copy never touches the caller's objects.
      expect(row.policies).toEqual(before);
    });
  }

  it('the same outcome whatever the object order within a kind (the refusal names the first invalid entry)', () => {
    const a = icsp('a', 'quay.io/ns/', ['m.local/ns']);
    const b = icsp('b', 'quay.io/other ', ['m.local/other']);
    const one = renderOrIntent(set({ icsps: [a, b] }), LENIENT);
    const two = renderOrIntent(set({ icsps: [b, a] }), LENIENT);
    expect(one.error).toBe('invalid format for source "quay.io/ns/"');
    expect(two.error).toBe('invalid format for source "quay.io/other "');
    expect(one.render?.registries).toEqual(two.render?.registries);
  });

  it('one intent for one answer: explain, the live verdict and a policy generation agree (lenient)', () => {
    const p = set({ icsps: [icsp('a', 'quay.io/ns ', ['m.local/ns/'])] });
    const basis = prepareExplainBasis({ policies: p, render: LIVE });
    const expected = expectedFrom(renderOrIntent(p, { ...LIVE, lenient: true }));
    const generation = buildGeneration(1, { policies: p });
    expect(basis.warnings.map((w) => w.code)).toContain('mco-rejects-config');
    expect(basis.conf.registries.map(show)).toEqual(['quay.io/ns: m.local/ns']);
    expect(expected.conf?.registries).toEqual(basis.conf.registries);
    expect(expected.refusal).toBe('invalid format for source "quay.io/ns "');
    expect(generation.expected).toEqual(expected);
  });

  it('rollout notices keep the intent as written: the fix of a refused set is a change that gets its notice', () => {
    const refused = set({ icsps: [icsp('a', 'quay.io/ns ', ['m.local/ns'])] });
    const rollout = renderForRollout(refused);
    expect(rollout.error).toBe('invalid format for source "quay.io/ns "');
    expect(rollout.registries.map(show)).toEqual(['quay.io/ns : m.local/ns']);
    const fixed = describeChange(
      policyState(refused),
      policyState(set({ icsps: [icsp('a', 'quay.io/ns', ['m.local/ns'])] })),
    );
    expect(fixed?.changes).toEqual([
      'new source quay.io/ns (mirrors m.local/ns (digest-only))',
      'source removed: quay.io/ns ',
    ]);
  });

  it('what-if compares with what the current objects mean, also when only policy.json refuses them', () => {
    const mirrors = idms('a', { source: 'quay.io/app', mirrors: ['m1.local/app'] });
    // Both lists set: the MCO's policy.json check refuses the sync (registries.conf alone would render).
    const current = set({
      idms: [mirrors],
      image: image({ allowedRegistries: ['quay.io'], blockedRegistries: ['docker.io'] }),
    });
    const r = whatIf({ current, proposed: [image({ blockedRegistries: ['docker.io'] })] });
    expect(r.currentRefused).toBe(
      'invalid images config: only one of AllowedRegistries or BlockedRegistries may be specified',
    );
    expect(r.accepted).toBe(true);
    // Against an empty file every mirror would look new; against the current objects nothing changes there.
    expect(r.registriesChanges).toEqual([]);
    // Refused in registries.conf: the intent as written, like rollout notices.
    const refused = set({ icsps: [icsp('a', 'quay.io/ns ', ['m.local/ns'])] });
    const fixed = whatIf({ current: refused, proposed: [icsp('a', 'quay.io/ns', ['m.local/ns'])] });
    expect(fixed.currentRefused).toBe('invalid format for source "quay.io/ns "');
    expect(fixed.registriesChanges).toEqual([
      'new source quay.io/ns (mirrors m.local/ns (digest-only))',
      'source removed: quay.io/ns ',
    ]);
  });
});
