// The fix round trip for every verdict that has a remedy: fix -> its YAML parsed back -> applied over the
// original objects -> explained again -> the intended verdict, and the MCO renders it.
import { describe, expect, it } from 'vitest';
import { explain } from '../../src/domain/explain.ts';
import { proposeFix } from '../../src/domain/fix.ts';
import type { FixResult } from '../../src/domain/fix.ts';
import { parsePolicyDocuments } from '../../src/domain/policy-documents.ts';
import { overlayPolicies } from '../../src/domain/policy-overlay.ts';
import type { PolicySet } from '../../src/domain/policy-set.ts';
import { renderPolicies } from '../../src/domain/render.ts';
import { loadPolicyPaths } from '../../src/files/policy-files.ts';
import { Readable } from 'node:stream';
import { runCli } from '../helpers/run-cli.ts';
import { itms, set } from '../helpers/policy-objects.ts';

const D = `sha256:${'c'.repeat(64)}`;
const idms = (name: string, source: string, mirrors: string[], policy?: 'NeverContactSource') => ({
  apiVersion: 'config.openshift.io/v1' as const,
  kind: 'ImageDigestMirrorSet' as const,
  metadata: { name, uid: 'u-1', resourceVersion: '7' },
  spec: { imageDigestMirrors: [{ source, mirrors, ...(policy ? { mirrorSourcePolicy: policy } : {}) }] },
});

/** Applies the fix's YAML text (not its objects) over the original policies and explains the image again. */
function roundTrip(image: string, p: PolicySet, r: FixResult) {
  expect(r.fix, r.note ?? '').not.toBeNull();
  const parsed = parsePolicyDocuments(r.fix!.yaml, 'fix.yaml');
  expect(parsed.warnings).toEqual([]);
  const after = overlayPolicies(p, parsed.objects).policies;
  expect(() => renderPolicies(after)).not.toThrow();
  return explain({ reference: image, policies: after });
}

describe('fix round trip', () => {
  it('the seed example: corrected ICSP source plus an ITMS make the tag pull use nexus.cminion.cf/repo', async () => {
    const { policies } = await loadPolicyPaths(['examples/'], Readable.from([]));
    const image = 'imagestore.co/repo/exampleimage:latest';
    const before = explain({ reference: image, policies });
    expect(before.warnings.map((w) => w.code)).toContain('mco-rejects-config');
    const r = proposeFix({ reference: image, policies });
    expect(r.fix?.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ImageContentSourcePolicy/ibm-cp-common-services',
      'ImageTagMirrorSet/icsp-fix-imagestore-co-repo',
    ]);
    expect(r.fix?.steps.map((s) => s.remedies)).toEqual(['mco-rejects-config', 'tag-pull-skips-digest-mirrors']);
    const after = roundTrip(image, policies, r);
    expect(after.verdict.code).toBe('mirror-first');
    expect(after.warnings.map((w) => w.code)).not.toContain('mco-rejects-config');
    expect(after.pullSources.map((s) => s.reference)).toEqual([
      'nexus.cminion.cf/repo/exampleimage:latest',
      'imagestore.co/repo/exampleimage:latest',
    ]);
    expect(r.fix?.yaml).toContain('source: imagestore.co/repo\n');
    expect(r.fix?.yaml).not.toContain('imagestore.co/repo/\n');
  });

  it('tag-pull-skips-digest-mirrors: an ITMS with the digest-only mirrors', () => {
    const p = set({ idms: [idms('m', 'quay.io/ns', ['mirror.local/ns', 'backup.local/ns'])] });
    const r = proposeFix({ reference: 'quay.io/ns/app:1', policies: p });
    expect(r.fix?.verdictBefore).toBe('tag-pull-skips-digest-mirrors');
    expect(r.fix?.objects[0]?.kind).toBe('ImageTagMirrorSet');
    const after = roundTrip('quay.io/ns/app:1', p, r);
    expect(after.verdict.code).toBe('mirror-first');
    expect(after.pullSources.map((s) => s.location)).toEqual(['mirror.local/ns', 'backup.local/ns', 'quay.io/ns']);
  });

  it('digest-pull-skips-tag-mirrors: an IDMS with the tag-only mirrors', () => {
    const p = set({ itms: [itms('t', 'quay.io/ns', ['tag.local/ns'])] });
    const image = `quay.io/ns/app@${D}`;
    const r = proposeFix({ reference: image, policies: p });
    expect(r.fix?.verdictBefore).toBe('digest-pull-skips-tag-mirrors');
    expect(r.fix?.objects[0]?.kind).toBe('ImageDigestMirrorSet');
    expect(roundTrip(image, p, r).pullSources[0]?.reference).toBe(`tag.local/ns/app@${D}`);
  });

  it('mco-rejects-config alone: the corrected object, metadata reduced to what oc apply takes', () => {
    const p = set({ idms: [idms('slashy', 'quay.io/ns', ['mirror.local/ns/'])] });
    const image = `quay.io/ns/app@${D}`;
    const r = proposeFix({ reference: image, policies: p });
    expect(r.fix?.steps.map((s) => s.remedies)).toEqual(['mco-rejects-config']);
    expect(r.fix?.yaml).not.toContain('uid');
    expect(r.fix?.yaml).not.toContain('resourceVersion');
    const after = roundTrip(image, p, r);
    expect(after.verdict.code).toBe('mirror-first');
    expect(after.warnings).toEqual([]);
  });

  it('NeverContactSource with the source among the mirrors: that mirror is dropped, the rest kept', () => {
    const p = set({ idms: [idms('n', 'quay.io/ns', ['quay.io/ns', 'mirror.local/ns'], 'NeverContactSource')] });
    const image = `quay.io/ns/app@${D}`;
    const r = proposeFix({ reference: image, policies: p });
    const after = roundTrip(image, p, r);
    expect(after.pullSources.map((s) => [s.location, s.blocked])).toEqual([
      ['mirror.local/ns', false],
      ['quay.io/ns', true],
    ]);
  });

  it(
    'all-blocked (NeverContactSource, tag pull): an ITMS that carries ' +
      'the same mirrorSourcePolicy, or the MCO would refuse it',
    () => {
      const p = set({ idms: [idms('n', 'quay.io/ns', ['mirror.local/ns'], 'NeverContactSource')] });
      const r = proposeFix({ reference: 'quay.io/ns/app:v2', policies: p });
      expect(r.fix?.verdictBefore).toBe('all-blocked');
      expect(r.fix?.yaml).toContain('mirrorSourcePolicy: NeverContactSource');
      expect(roundTrip('quay.io/ns/app:v2', p, r).verdict.code).toBe('mirror-first');
    },
  );

  it('no-mirror-configured with a named mirror: a mirror set scoped to the repository', () => {
    const p = set({ idms: [idms('other', 'registry.example.com', ['m.local/ex'])] });
    const r = proposeFix({ reference: 'quay.io/team/app:3', policies: p, mirror: 'nexus.local/team/app' });
    expect(r.fix?.verdictBefore).toBe('no-mirror-configured');
    expect(r.fix?.objects[0]).toMatchObject({
      kind: 'ImageTagMirrorSet',
      spec: { imageTagMirrors: [{ source: 'quay.io/team/app', mirrors: ['nexus.local/team/app'] }] },
    });
    expect(roundTrip('quay.io/team/app:3', p, r).pullSources[0]?.reference).toBe('nexus.local/team/app:3');
  });

  it('no-mirror-configured without a named mirror: no fix, and it says what to give', () => {
    const r = proposeFix({ reference: 'quay.io/team/app:3', policies: set({}) });
    expect(r.fix).toBeNull();
    expect(r.note).toContain('--mirror');
  });

  it('a refusal no correction removes (conflicting mirrorSourcePolicy): no fix, and the MCO message', () => {
    const p = set({
      idms: [idms('n', 'quay.io/ns', ['mirror.local/ns'], 'NeverContactSource')],
      itms: [itms('t', 'quay.io/ns', ['mirror.local/ns'])],
    });
    const r = proposeFix({ reference: `quay.io/ns/app@${D}`, policies: p });
    expect(r.fix).toBeNull();
    expect(r.note).toContain('conflicting mirrorSourcePolicy');
  });

  const imageConfig = (rs: Record<string, string[]>) => ({
    apiVersion: 'config.openshift.io/v1' as const,
    kind: 'Image' as const,
    metadata: { name: 'cluster', resourceVersion: '9' },
    spec: { registrySources: rs },
  });

  it(
    'rejected-by-policy (allowedRegistries lists only the mirror host): the ' +
      'repository as the pod names it is added, and the pull is served',
    () => {
      const p = set({
        idms: [idms('m', 'registry.example.com/team', ['mirror.local/team'])],
        image: imageConfig({ allowedRegistries: ['mirror.local', 'quay.io'] }),
      });
      const image = `registry.example.com/team/app@${D}`;
      const before = explain({ reference: image, policies: p });
      expect(before.verdict.code).toBe('rejected-by-policy');
      const r = proposeFix({ reference: image, policies: p, explanation: before });
      expect(r.fix?.objects[0]).toMatchObject({
        kind: 'Image',
        spec: { registrySources: { allowedRegistries: ['mirror.local', 'quay.io', 'registry.example.com/team/app'] } },
      });
      expect(r.fix?.yaml).not.toContain('resourceVersion');
      const after = roundTrip(image, p, r);
      expect(after.verdict.code).toBe('mirror-first');
      expect(after.policy?.allowed).toBe(true);
    },
  );

  it('rejected-by-policy (blockedRegistries on a mirrored source): the entry is removed and the mirror serves', () => {
    const p = set({
      idms: [idms('m', 'registry.example.com/team', ['mirror.local/team'])],
      image: imageConfig({ blockedRegistries: ['registry.example.com/team'] }),
    });
    const image = `registry.example.com/team/app@${D}`;
    const r = proposeFix({ reference: image, policies: p });
    expect(r.fix?.verdictBefore).toBe('rejected-by-policy');
    expect(r.fix?.steps[0]?.description).toContain('NeverContactSource');
    const after = roundTrip(image, p, r);
    expect(after.verdict.code).toBe('mirror-first');
    expect(after.pullSources[0]?.reference).toBe(`mirror.local/team/app@${D}`);
  });

  it(
    'short-name-ambiguous (enforcing mode, two search registries): the fully qualified ' +
      'name of the first candidate that is served, proven by explaining it',
    async () => {
      const { explainPull } = await import('../../src/domain/explain-pull.ts');
      const p = set({
        idms: [idms('m', 'registry.access.redhat.com/ubi9', ['mirror.local/ubi9'])],
        itms: [itms('t', 'registry.access.redhat.com/ubi9', ['mirror.local/ubi9'])],
      });
      const before = explainPull({
        reference: 'ubi9',
        policies: p,
        shortNameMode: { mode: 'enforcing', source: 'test' },
      });
      expect(before.verdict.code).toBe('short-name-ambiguous');
      const r = proposeFix({ reference: 'ubi9', policies: p, explanation: before });
      expect(r.fix?.yaml).toContain('image: registry.access.redhat.com/ubi9:latest');
      expect(r.fix?.objects).toEqual([]);
      expect(r.fix?.verdictAfter).toBe('mirror-first');
      expect(r.fix?.firstSourceAfter).toBe('mirror.local/ubi9:latest');
      // The name in the YAML, explained as the pod would pull it, is no longer ambiguous.
      const name = /^image: (\S+)$/m.exec(r.fix!.yaml)![1]!;
      expect(
        explainPull({ reference: name, policies: p, shortNameMode: { mode: 'enforcing', source: 'test' } }).verdict
          .code,
      ).toBe('mirror-first');
    },
  );

  it('mirror-first needs no fix; a bad --mirror is a one-line input error', () => {
    const p = set({ idms: [idms('m', 'quay.io/ns', ['mirror.local/ns'])] });
    expect(proposeFix({ reference: `quay.io/ns/app@${D}`, policies: p })).toEqual({ fix: null, note: null });
    expect(() => proposeFix({ reference: 'quay.io/x/y:1', policies: p, mirror: 'https://m.local/x' })).toThrow(
      /not a mirror location/,
    );
  });

  it('a new object never takes the name of an existing one', () => {
    const p = set({
      idms: [idms('m', 'quay.io/ns', ['mirror.local/ns'])],
      itms: [itms('icsp-fix-quay-io-ns', 'other.io/x', ['o.local/x'])],
    });
    const r = proposeFix({ reference: 'quay.io/ns/app:1', policies: p });
    expect(r.fix?.objects[0]?.metadata.name).toBe('icsp-fix-quay-io-ns-2');
    expect(roundTrip('quay.io/ns/app:1', p, r).verdict.code).toBe('mirror-first');
  });
});

describe('icsp why --fix', () => {
  it('prints the explanation, then the YAML with the proof; --json carries fix {yaml, verdictAfter}', async () => {
    const text = await runCli(['why', 'imagestore.co/repo/exampleimage:latest', '--policies', 'examples/', '--fix']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('kind: ImageTagMirrorSet');
    expect(text.stdout).toMatch(
      /tag-pull-skips-digest-mirrors -> mirror-first \(first tries nexus\.cminion\.cf\/repo\/exampleimage:latest\)/,
    );
    const json = await runCli([
      'why',
      'imagestore.co/repo/exampleimage:latest',
      '--policies',
      'examples/',
      '--fix',
      '--json',
    ]);
    const out = JSON.parse(json.stdout) as { fix: { yaml: string; verdictAfter: string } | null };
    expect(out.fix?.verdictAfter).toBe('mirror-first');
    expect(out.fix?.yaml).toContain('kind: ImageContentSourcePolicy');
  });

  it('--json without a remedy carries "fix": null; --fix with --registries-conf is a usage error', async () => {
    const clean =
      'apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: m}\nspec: ' +
      '{imageDigestMirrors: [{source: quay.io/ns, mirrors: [mirror.local/ns]}]}\n';
    const json = await runCli(['why', 'quay.io/x/y:1', '--policies', '-', '--fix', '--json'], clean);
    expect((JSON.parse(json.stdout) as { fix: unknown }).fix).toBeNull();
    // A refused configuration is remedied whatever the image: nothing of it reaches the nodes until corrected.
    const refused = await runCli(['why', 'quay.io/x/y:1', '--policies', 'examples/', '--fix', '--json']);
    expect((JSON.parse(refused.stdout) as { fix: { verdictAfter: string } }).fix.verdictAfter).toBe(
      'no-mirror-configured',
    );
    const bad = await runCli(['why', 'quay.io/x/y:1', '--registries-conf', 'examples/none.conf', '--fix']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--fix needs --policies');
  });
});
