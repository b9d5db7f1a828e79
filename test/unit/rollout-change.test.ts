// The pure description of a mirror change (src/domain/rollout-change.ts): render before/after, the difference in
// mirror terms, the objects and who changed them, whether a rendered config carries the change, and the likely
// cause when it never does, including the MCO's silent payload filter.
import { describe, expect, it } from 'vitest';
import { describeChange, likelyRejection, policyState, renderedHasChange } from '../../src/domain/rollout-change.ts';
import type { PolicyState } from '../../src/domain/rollout-change.ts';
import { encodeRegistriesConf } from '../../src/domain/registries-toml.ts';
import type { PolicySet } from '../../src/domain/policy-set.ts';
import { assessRollout } from '../../src/domain/rollout-progress.ts';
import { noticeMessage } from '../../src/domain/rollout-notice.ts';
import type { ImageConfig, ImageDigestMirrorSet, ImageMirrors, ImageTagMirrorSet } from '../../src/types/openshift.ts';
import type { MachineConfigPool } from '../../src/types/machineconfig.ts';

const RELEASE = `quay.io/openshift-release-dev/ocp-release@sha256:${'a'.repeat(64)}`;

const image = (registrySources: ImageConfig['spec']['registrySources'] = {}, generation = 1): ImageConfig => ({
  apiVersion: 'config.openshift.io/v1',
  kind: 'Image',
  metadata: { name: 'cluster', generation },
  spec: { registrySources },
});
const idms = (
  name: string,
  mirrors: ImageMirrors[],
  generation = 1,
  managedFields?: ImageDigestMirrorSet['metadata']['managedFields'],
): ImageDigestMirrorSet => ({
  apiVersion: 'config.openshift.io/v1',
  kind: 'ImageDigestMirrorSet',
  metadata: { name, uid: `uid-${name}`, generation, ...(managedFields ? { managedFields } : {}) },
  spec: { imageDigestMirrors: mirrors },
});
const itms = (name: string, mirrors: ImageMirrors[]): ImageTagMirrorSet => ({
  apiVersion: 'config.openshift.io/v1',
  kind: 'ImageTagMirrorSet',
  metadata: { name, uid: `uid-${name}`, generation: 1 },
  spec: { imageTagMirrors: mirrors },
});
const set = (p: Partial<PolicySet>): PolicySet => ({
  icsps: [],
  idms: [],
  itms: [],
  image: image(),
  releaseImage: RELEASE,
  ...p,
});
const state = (p: Partial<PolicySet>): PolicyState => policyState(set(p));
const change = (a: Partial<PolicySet>, b: Partial<PolicySet>) => describeChange(state(a), state(b));

describe('describeChange: what a policy change does to registries.conf', () => {
  it('a new IDMS: new source with digest-only mirrors, the object and its last writer, no drain', () => {
    const c = change(
      {},
      {
        idms: [
          idms('a', [{ source: 'quay.io/app', mirrors: ['m1.local/app'] }], 1, [
            { manager: 'kubectl-create', time: '2026-01-01T10:00:00Z' },
            { manager: 'argocd', time: '2026-01-02T10:00:00Z' },
          ]),
        ],
      },
    );
    expect(c).not.toBeNull();
    expect(c!.changes).toEqual(['new source quay.io/app (mirrors m1.local/app (digest-only))']);
    expect(c!.changedSources).toEqual(['quay.io/app']);
    expect(c!.objects).toEqual([
      expect.objectContaining({
        kind: 'ImageDigestMirrorSet',
        name: 'a',
        action: 'created',
        manager: 'argocd',
        changedAt: '2026-01-02T10:00:00Z',
      }),
    ]);
    expect(c!.disruption.drain).toBe(false);
    expect(c!.key).toMatch(/^[0-9a-f]{12}$/);
  });

  it('mirrors added and removed for an existing source, the object changed, and a drain for the removal', () => {
    const c = change(
      { idms: [idms('a', [{ source: 'quay.io/app', mirrors: ['m1.local/app', 'm2.local/app'] }])] },
      { idms: [idms('a', [{ source: 'quay.io/app', mirrors: ['m1.local/app', 'm3.local/app'] }], 2)] },
    );
    expect(c!.changes).toEqual([
      'mirror added: m3.local/app (digest-only) for source quay.io/app',
      'mirror removed: m2.local/app (digest-only) for source quay.io/app',
    ]);
    expect(c!.objects).toEqual([expect.objectContaining({ name: 'a', action: 'changed', generation: 2 })]);
    expect(c!.disruption.drain).toBe(true);
    expect(c!.disruption.reasons.join(' ')).toContain('m2.local/app removed');
  });

  it('mirrors reordered: said, no drain (the MCO does not see a reorder as unsafe)', () => {
    const c = change(
      { idms: [idms('a', [{ source: 'quay.io/app', mirrors: ['m1.local/app', 'm2.local/app'] }])] },
      { idms: [idms('a', [{ source: 'quay.io/app', mirrors: ['m2.local/app', 'm1.local/app'] }], 2)] },
    );
    expect(c!.changes).toEqual([
      'mirror order for quay.io/app differs: m2.local/app > m1.local/app vs before: m1.local/app > m2.local/app',
    ]);
    expect(c!.disruption.drain).toBe(false);
  });

  it('NeverContactSource switched on, then off: the source is now / no longer blocked, a drain each way', () => {
    const allow = { idms: [idms('a', [{ source: 'quay.io/app', mirrors: ['m1.local/app'] }])] };
    const never = {
      idms: [
        idms('a', [{ source: 'quay.io/app', mirrors: ['m1.local/app'], mirrorSourcePolicy: 'NeverContactSource' }], 2),
      ],
    };
    const on = change(allow, never);
    expect(on!.changes).toEqual(['quay.io/app: now blocked (NeverContactSource or blockedRegistries)']);
    expect(on!.disruption.drain).toBe(true);
    expect(on!.disruption.reasons).toEqual(['quay.io/app: blocked changed']);
    expect(change(never, allow)!.changes).toEqual([
      'quay.io/app: no longer blocked (NeverContactSource or blockedRegistries)',
    ]);
  });

  it('insecure and blocked registries of image.config changed on an existing source', () => {
    const base = { idms: [idms('a', [{ source: 'quay.io/app', mirrors: ['m1.local/app'] }])] };
    const insecure = change(base, { ...base, image: image({ insecureRegistries: ['quay.io/app'] }, 2) });
    expect(insecure!.changes).toEqual(['quay.io/app: now insecure (insecureRegistries)']);
    expect(insecure!.objects).toEqual([expect.objectContaining({ kind: 'Image', name: 'cluster', action: 'changed' })]);
    expect(insecure!.disruption.drain).toBe(true);
    const blocked = change(base, { ...base, image: image({ blockedRegistries: ['quay.io/app'] }, 2) });
    expect(blocked!.changes).toContain('quay.io/app: now blocked (NeverContactSource or blockedRegistries)');
  });

  it('an ITMS: tag-only mirrors, a drain; a deleted object is listed as deleted', () => {
    const c = change({}, { itms: [itms('t', [{ source: 'quay.io/app', mirrors: ['t.local/app'] }])] });
    expect(c!.changes).toEqual(['new source quay.io/app (mirrors t.local/app (tag-only))']);
    expect(c!.disruption.drain).toBe(true);
    const back = change({ itms: [itms('t', [{ source: 'quay.io/app', mirrors: ['t.local/app'] }])] }, {});
    expect(back!.objects).toEqual([{ kind: 'ImageTagMirrorSet', name: 't', action: 'deleted' }]);
    expect(back!.changes).toEqual(['source removed: quay.io/app']);
  });

  it('no difference on the nodes (a new object that renders the same): null', () => {
    const a = { idms: [idms('a', [{ source: 'quay.io/app', mirrors: ['m1.local/app'] }])] };
    expect(
      change(a, { idms: [...a.idms, idms('b', [{ source: 'quay.io/app', mirrors: ['m1.local/app'] }])] }),
    ).toBeNull();
    expect(change(a, a)).toBeNull();
  });

  it(
    'a configuration the MCO refuses is a change even though the nodes ' +
      'keep their file, and the refusal is the likely cause',
    () => {
      const c = change(
        {},
        {
          idms: [
            idms('a', [{ source: 'quay.io/app', mirrors: ['m1.local/app'], mirrorSourcePolicy: 'NeverContactSource' }]),
            idms('b', [
              { source: 'quay.io/app', mirrors: ['m2.local/app'], mirrorSourcePolicy: 'AllowContactingSource' },
            ]),
          ],
        },
      );
      expect(c!.after.error).toMatch(/conflicting mirrorSourcePolicy/);
      expect(likelyRejection(c!.after)).toMatch(
        /^the MCO refuses this configuration: .*conflicting mirrorSourcePolicy.*machine-config-controller/,
      );
    },
  );
});

describe('renderedHasChange: does a rendered MachineConfig carry the change', () => {
  const before = { idms: [idms('a', [{ source: 'quay.io/app', mirrors: ['m1.local/app'] }])] };
  const after = {
    idms: [
      idms('a', [{ source: 'quay.io/app', mirrors: ['m1.local/app'] }]),
      idms('b', [{ source: 'quay.io/other', mirrors: ['m2.local/other'] }]),
    ],
  };
  const file = (p: Partial<PolicySet>): string => {
    const c = state(p).config;
    return encodeRegistriesConf(c.search, c.registries);
  };
  const c = change(before, after)!;
  it('the old file does not, the new one does', () => {
    expect(renderedHasChange(file(before), c.after, c.changedSources)).toBe(false);
    expect(renderedHasChange(file(after), c.after, c.changedSources)).toBe(true);
  });
  it('a later, unrelated change does not hide it (only the changed sources count)', () => {
    const later = { idms: [...after.idms, idms('c', [{ source: 'quay.io/third', mirrors: ['m3.local/third'] }])] };
    expect(renderedHasChange(file(later), c.after, c.changedSources)).toBe(true);
    expect(renderedHasChange(file(later), c.after)).toBe(false);
  });
  it('no file (the template) and an unparseable file', () => {
    expect(renderedHasChange(null, c.after, c.changedSources)).toBe(false);
    expect(renderedHasChange('[[registry', c.after, c.changedSources)).toBe(false);
  });
});

describe('the payload filter: a blocked registry serving the release payload, with no unblocked mirror', () => {
  const blockPayload = { image: image({ blockedRegistries: ['quay.io', 'evil.example.com'] }, 2) };

  it('is dropped from the render, as the MCO does, and the drop is kept for the messages', () => {
    const after = state(blockPayload).config;
    expect(after.registries.map((r) => [r.location, r.blocked])).toEqual([['evil.example.com', true]]);
    expect(after.payloadDropped).toBe(
      'error adding ["quay.io"] to blocked registries, cannot block the repository being used by the payload',
    );
  });

  it('is not dropped when the payload has an unblocked digest mirror', () => {
    const mirrored = state({
      ...blockPayload,
      idms: [idms('release', [{ source: 'quay.io/openshift-release-dev', mirrors: ['mirror.local/ocp'] }])],
    }).config;
    expect(mirrored.payloadDropped).toBeNull();
    expect(mirrored.registries.find((r) => r.location === 'quay.io')?.blocked).toBe(true);
  });

  it('the notice says the MCO skips it', () => {
    const c = change({}, blockPayload)!;
    expect(c.changes).toEqual(['new source evil.example.com']);
    const msg = noticeMessage({ cluster: 'prod', change: c, pools: [], phase: 'rolling-out', startedAt: 0 });
    expect(msg.text).toContain(
      ':information_source: error adding ["quay.io"] to blocked registries, cannot ' +
        'block the repository being used by the payload (the MCO skips it)',
    );
  });

  it('and it is the stuck reason when the rendered config never picks the change up', () => {
    const c = change({}, blockPayload)!;
    expect(likelyRejection(c.after)).toBe(
      'the MCO drops a blocked registry: error adding ["quay.io"] to blocked ' +
        'registries, cannot block the repository being used by the payload',
    );
    const pool: MachineConfigPool = {
      apiVersion: 'machineconfiguration.openshift.io/v1',
      kind: 'MachineConfigPool',
      metadata: { name: 'worker', generation: 1 },
      spec: { configuration: { name: 'rendered-worker-old' } },
      status: { machineCount: 2, updatedMachineCount: 2 },
    };
    const p = assessRollout({
      pools: [pool],
      nodes: [],
      targetHasChange: () => false,
      renderOverdue: true,
      rejection: likelyRejection(c.after),
    });
    expect(p.stuck).toEqual([
      {
        key: 'render',
        text:
          'the rendered config of worker (rendered-worker-old) never picked the change up: ' +
          'the MCO drops a blocked registry: error adding ["quay.io"] to blocked ' +
          'registries, cannot block the repository being used by the payload',
      },
    ]);
  });

  it(
    'blocking only the payload registry changes nothing on the nodes: ' +
      'no notice (documented: no difference, no message)',
    () => {
      expect(change({}, { image: image({ blockedRegistries: ['quay.io'] }, 2) })).toBeNull();
    },
  );
});
