// What-if offline on crafted cases: accepted, refused, no-drain additive change, drain change, NodeDisruptionPolicy,
// pool sizes and durations, reroute classification and counts per namespace; the CLI on an oc-mirror directory.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { forecastDisruption } from '../../src/domain/drain-rules.ts';
import { scaledMaxUnavailable } from '../../src/domain/node-disruption.ts';
import type { MachineConfiguration } from '../../src/domain/node-disruption.ts';
import { parseObjectKey } from '../../src/domain/policy-overlay.ts';
import type { PolicySet } from '../../src/domain/policy-set.ts';
import { confFromEntries } from '../../src/domain/registries-conf.ts';
import { parseImagesFile } from '../../src/domain/running-images.ts';
import { whatIf } from '../../src/domain/what-if.ts';
import type { PolicyObject } from '../../src/types/openshift.ts';
import { runCli } from '../helpers/run-cli.ts';
import { idms, itms, set } from '../helpers/policy-objects.ts';
import { tempDir } from '../helpers/test-temp-dir.ts';

const D = `sha256:${'f'.repeat(64)}`;
const base = set({ idms: [idms('mirrors', 'quay.io/ns', ['mirror.local/ns'])] });

describe('whatIf', () => {
  it(
    'an additive IDMS: accepted, a new source, CRI-O reload without ' +
      'drain, nothing rerouted that it does not cover',
    () => {
      const images = parseImagesFile(
        `quay.io/ns/a@${D}\nregistry.example.com/team/b@${D}\nregistry.example.com/team/c:1\n`,
        'list',
      );
      const r = whatIf({
        current: base,
        proposed: [idms('more', 'registry.example.com/team', ['mirror.local/team'])],
        images,
      });
      expect(r.accepted).toBe(true);
      expect(r.registriesChanges).toEqual([
        'new source registry.example.com/team (mirrors mirror.local/team (digest-only))',
      ]);
      expect(r.nodeAction).toMatchObject({ drain: false, reboot: false, services: ['reload crio.service'] });
      expect(r.pools.map((p) => [p.pool, p.drain])).toEqual([
        ['master', false],
        ['worker', false],
      ]);
      // Only the digest pull of the new source changes route; the tag pull does not use a digest-only mirror.
      expect(r.rerouted.map((x) => [x.image, x.changes])).toEqual([
        [`registry.example.com/team/b@${D}`, ['first-source-changed', 'gains-mirror']],
      ]);
      expect(r.rerouted[0]!.after).toEqual([`mirror.local/team/b@${D}`, `registry.example.com/team/b@${D}`]);
    },
  );

  it('an ITMS: drain (tag-only mirrors are not a safe change), and the tag pulls it covers gain the mirror', () => {
    const r = whatIf({
      current: base,
      proposed: [itms('tags', 'quay.io/ns', ['mirror.local/ns'])],
      images: parseImagesFile('quay.io/ns/a:1\n', 'l'),
    });
    expect(r.nodeAction.drain).toBe(true);
    expect(r.nodeAction.reboot).toBe(false);
    expect(r.nodeAction.reasons.join(' ')).toContain('pull-from-mirror digest-only -> tag-only');
    expect(r.rerouted).toHaveLength(1);
    expect(r.notes.join(' ')).toContain('reboot not expected per MCO code');
  });

  it('refused: the exact MCO message, nothing changes on the nodes, nothing rerouted', () => {
    const r = whatIf({
      current: base,
      proposed: [idms('bad', 'quay.io/other/', ['m.local/other'])],
      images: parseImagesFile(`quay.io/other/x@${D}\n`, 'l'),
    });
    expect(r.accepted).toBe(false);
    expect(r.mcoMessage).toBe('invalid format for source "quay.io/other/"');
    expect(r.registriesChanges).toEqual([]);
    expect(r.pools.every((p) => !p.drain && p.services.length === 0)).toBe(true);
    expect(r.rerouted).toEqual([]);
  });

  it('a conflicting mirrorSourcePolicy between the current and the proposed objects is refused too', () => {
    const r = whatIf({
      current: base,
      proposed: [idms('never', 'quay.io/ns', ['other.local/ns'], 'NeverContactSource')],
    });
    expect(r.mcoMessage).toContain('conflicting mirrorSourcePolicy');
  });

  it('--remove: the last mirror of a source removed -> drain; images lose the mirror', () => {
    const images = parseImagesFile(
      JSON.stringify({
        kind: 'PodList',
        items: [
          {
            kind: 'Pod',
            metadata: { namespace: 'shop' },
            spec: {
              containers: [{ image: `quay.io/ns/a@${D}` }, { image: `quay.io/ns/a@${D}` }],
              initContainers: [{ image: `quay.io/ns/init@${D}` }],
            },
          },
          { kind: 'Pod', metadata: { namespace: 'shop' }, spec: { containers: [{ image: `quay.io/ns/a@${D}` }] } },
          { kind: 'Pod', metadata: { namespace: 'billing' }, spec: { containers: [{ image: `quay.io/ns/a@${D}` }] } },
          {
            kind: 'Pod',
            metadata: { namespace: 'billing' },
            spec: { containers: [{ image: 'docker.io/library/busybox:1' }] },
          },
        ],
      }),
      'pods.json',
    );
    const r = whatIf({
      current: base,
      proposed: [],
      remove: [{ kind: 'ImageDigestMirrorSet', name: 'mirrors' }],
      images,
    });
    expect(r.objects).toEqual([{ kind: 'ImageDigestMirrorSet', name: 'mirrors', action: 'removed' }]);
    expect(r.nodeAction.drain).toBe(true);
    expect(r.rerouted.map((x) => [x.image, x.change])).toEqual([
      [`quay.io/ns/a@${D}`, 'first-source-changed'],
      [`quay.io/ns/init@${D}`, 'first-source-changed'],
    ]);
    expect(r.rerouted[0]!.changes).toContain('loses-mirror');
    expect(r.rerouted[0]!.namespaces).toEqual([
      { namespace: 'billing', pods: 1 },
      { namespace: 'shop', pods: 2 },
    ]);
    expect(r.reroutedByNamespace).toEqual([
      { namespace: 'shop', images: 2, pods: 3 },
      { namespace: 'billing', images: 1, pods: 1 },
    ]);
    expect(r.imagesChecked).toBe(3);
  });

  it('NeverContactSource on a tag-pulled source: the image becomes blocked', () => {
    const r = whatIf({
      current: set({}),
      proposed: [idms('n', 'quay.io/ns', ['mirror.local/ns'], 'NeverContactSource')],
      images: parseImagesFile('quay.io/ns/app:2\n', 'l'),
    });
    expect(r.rerouted[0]).toMatchObject({
      change: 'becomes-blocked',
      before: ['quay.io/ns/app:2'],
      after: ['quay.io/ns/app:2 (blocked)'],
    });
  });

  it('a non-canonical mirror: the image becomes a pull error (the source is not tried either)', () => {
    const r = whatIf({
      current: set({}),
      proposed: [idms('m', 'quay.io/ns/repo', ['mirror.local'])],
      images: parseImagesFile(`quay.io/ns/repo@${D}\nnot a ref\n`, 'l'),
    });
    expect(r.accepted).toBe(true);
    expect(r.rerouted[0]).toMatchObject({ change: 'becomes-pull-error' });
    expect(r.rerouted[0]!.after[0]).toMatch(/^error: rewriting reference/);
    expect(r.unparseableImages).toEqual(['not a ref']);
  });

  it(
    'pools: node counts, maxUnavailable (count or percentage), ' + 'rounds and a duration scaled from the last rollout',
    () => {
      const r = whatIf({
        current: base,
        proposed: [itms('tags', 'quay.io/ns', ['mirror.local/ns'])],
        pools: [
          {
            name: 'worker',
            machineCount: 10,
            maxUnavailable: '20%',
            lastRollout: { durationMs: 20 * 60_000, nodes: 10 },
          },
          { name: 'master', machineCount: 3, lastRollout: null },
          {
            name: 'infra',
            machineCount: 4,
            maxUnavailable: 2,
            paused: true,
            lastRollout: { durationMs: 8 * 60_000, nodes: 2 },
          },
        ],
      });
      const [worker, master, infra] = r.pools;
      expect(worker).toMatchObject({ nodes: 10, maxUnavailable: 2, batches: 5, estimateMs: 20 * 60_000, drain: true });
      expect(master).toMatchObject({ nodes: 3, maxUnavailable: 1, batches: 3, estimateMs: null });
      // 2 nodes last time at 2 at a time = 1 round of 8 min; now 4 nodes = 2 rounds.
      expect(infra).toMatchObject({ batches: 2, estimateMs: 16 * 60_000, paused: true });
      expect(scaledMaxUnavailable('5%', 3)).toBe(1);
    },
  );

  it(
    'NodeDisruptionPolicy: a user policy for registries.conf overrides the ' +
      'MCO default (here: None, so no drain even for an ITMS)',
    () => {
      const none: MachineConfiguration = {
        kind: 'MachineConfiguration',
        metadata: { name: 'cluster' },
        spec: {
          nodeDisruptionPolicy: { files: [{ path: '/etc/containers/registries.conf', actions: [{ type: 'None' }] }] },
        },
      };
      const r = whatIf({
        current: base,
        proposed: [itms('tags', 'quay.io/ns', ['mirror.local/ns'])],
        machineConfiguration: none,
      });
      expect(r.nodeAction).toMatchObject({ rules: 'NodeDisruptionPolicy', drain: false, reboot: false, services: [] });
      const defaults: MachineConfiguration = { kind: 'MachineConfiguration', metadata: { name: 'cluster' } };
      expect(
        whatIf({
          current: base,
          proposed: [itms('tags', 'quay.io/ns', ['mirror.local/ns'])],
          machineConfiguration: defaults,
        }).nodeAction,
      ).toMatchObject({ drain: true, services: ['reload crio.service'] });
    },
  );

  it(
    'search registries: the drop-in no default policy covers -> drain ' +
      'and reboot; blockedRegistries -> policy.json too',
    () => {
      const image = (rs: object): PolicyObject => ({
        apiVersion: 'config.openshift.io/v1',
        kind: 'Image',
        metadata: { name: 'cluster' },
        spec: { registrySources: rs },
      });
      const r = whatIf({
        current: set({ image: image({}) as never }),
        proposed: [image({ containerRuntimeSearchRegistries: ['registry.corp'], blockedRegistries: ['bad.io'] })],
      });
      expect(r.searchRegistriesChange).toContain('registry.corp');
      expect(r.policyJsonChanges).toEqual(['docker scope bad.io: added (reject)']);
      expect(r.nodeAction).toMatchObject({ drain: true, reboot: true, services: [] });
    },
  );

  it(
    'allowedRegistries proposed: policy.json changes (CRI-O reload, no drain ' +
      'for that file) and every image outside it becomes rejected',
    () => {
      const image = (rs: object): PolicyObject => ({
        apiVersion: 'config.openshift.io/v1',
        kind: 'Image',
        metadata: { name: 'cluster' },
        spec: { registrySources: rs },
      });
      const images = parseImagesFile(`quay.io/ns/a@${D}\nregistry.example.com/x/y:1\n`, 'l');
      const r = whatIf({
        current: set({ ...base, image: image({}) as never }),
        proposed: [image({ allowedRegistries: ['quay.io'] })],
        images,
      });
      expect(r.policyJsonChanges).toEqual([
        'default: insecureAcceptAnything -> reject',
        'docker scope quay.io: added (insecureAcceptAnything)',
      ]);
      expect(r.registriesChanges).toEqual([]);
      expect(r.nodeAction).toMatchObject({ drain: false, reboot: false, services: ['reload crio.service'] });
      expect(r.rerouted.map((x) => [x.image, x.changes])).toEqual([
        ['registry.example.com/x/y:1', ['becomes-rejected']],
      ]);
    },
  );

  it('no change at all: nothing happens', () => {
    const r = whatIf({ current: base, proposed: [idms('mirrors', 'quay.io/ns', ['mirror.local/ns'])] });
    expect(r.objects).toEqual([{ kind: 'ImageDigestMirrorSet', name: 'mirrors', action: 'replaced' }]);
    expect(r.registriesChanges).toEqual([]);
    expect(r.pools.every((p) => !p.drain && p.services.length === 0)).toBe(true);
  });
});

describe('drain rule (MCO isSafeContainerRegistryConfChanges)', () => {
  const reg = (mirrors: Array<[string, 'digest-only' | 'tag-only']>) =>
    confFromEntries([
      {
        prefix: '',
        location: 'quay.io/ns',
        insecure: false,
        blocked: false,
        mirrorByDigestOnly: false,
        mirrors: mirrors.map(([location, pullFromMirror]) => ({ location, insecure: false, pullFromMirror })),
      },
    ]);
  it(
    'a tag-only mirror added beside a digest-only one of the same location drains ' +
      '(upstream compares each new mirror with the first old one of that location)',
    () => {
      expect(
        forecastDisruption(
          reg([['m.local/ns', 'digest-only']]),
          reg([
            ['m.local/ns', 'digest-only'],
            ['m.local/ns', 'tag-only'],
          ]),
        ).drain,
      ).toBe(true);
      expect(
        forecastDisruption(
          reg([['m.local/ns', 'digest-only']]),
          reg([
            ['m.local/ns', 'digest-only'],
            ['n.local/ns', 'digest-only'],
          ]),
        ).drain,
      ).toBe(false);
    },
  );
});

describe('parseObjectKey', () => {
  it('accepts what oc accepts, refuses the rest', () => {
    expect(parseObjectKey('idms/foo')).toEqual({ kind: 'ImageDigestMirrorSet', name: 'foo' });
    expect(parseObjectKey('imagetagmirrorset.config.openshift.io/bar')).toEqual({
      kind: 'ImageTagMirrorSet',
      name: 'bar',
    });
    expect(parseObjectKey('pods/x')).toBeNull();
    expect(parseObjectKey('idms/Bad_Name')).toBeNull();
  });
});

describe('icsp what-if (CLI)', () => {
  const dir = tempDir('whatif-');
  const current = join(dir, 'current.yaml');
  writeFileSync(
    current,
    'apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: ' +
      'idms-operator-0}\nspec:\n  imageDigestMirrors:\n  - source: registry.redhat.io/redhat\n    mirrors: ' +
      '[old-mirror.corp/redhat]\n',
  );
  const images = join(dir, 'images.txt');
  writeFileSync(images, `registry.redhat.io/redhat/a@${D}\nregistry.redhat.io/ubi8/ubi:8.10\nquay.io/unrelated/x:1\n`);
  const pools = join(dir, 'mcp.yaml');
  writeFileSync(
    pools,
    [
      'apiVersion: v1\nkind: List\nitems:',
      '- apiVersion: machineconfiguration.openshift.io/v1\n  kind: MachineConfigPool\n  ' +
        'metadata: {name: worker}\n  spec: {maxUnavailable: 2}\n  status: {machineCount: 6}',
      '---\napiVersion: operator.openshift.io/v1\nkind: MachineConfiguration\nmetadata: {name: cluster}\nspec: {}\n',
    ].join('\n'),
  );

  it(
    'an oc-mirror cluster-resources/ directory as it is: IDMS/ITMS read, ' +
      'the other kinds ignored with a note; --json rerouted',
    async () => {
      const r = await runCli([
        'what-if',
        '--policies',
        current,
        '--proposed',
        'test/fixtures/oc-mirror/cluster-resources',
        '--images',
        images,
        '--pools',
        pools,
        '--json',
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as {
        mco: { accepts: boolean };
        notes: string[];
        nodes: { rules: string; pools: Array<{ pool: string; nodes: number; batches: number; drain: boolean }> };
        rerouted: Array<{ image: string; namespaces: string[]; before: string[]; after: string[]; change: string }>;
      };
      expect(out.mco.accepts).toBe(true);
      expect(
        out.notes
          .filter((n) => n.includes('(not a mirror object)'))
          .map((n) => n.replace(/^.*ignored (\S+) .*$/, '$1'))
          .sort(),
      ).toEqual([
        'CatalogSource/cs-redhat-operator-index-v4-17',
        'ClusterCatalog/cc-redhat-operator-index-v4-17',
        'ConfigMap/mirrored-release-signatures',
        'UpdateService/update-service-oc-mirror',
      ]);
      expect(out.nodes.rules).toBe('NodeDisruptionPolicy');
      expect(out.nodes.pools).toEqual([expect.objectContaining({ pool: 'worker', nodes: 6, batches: 3, drain: true })]);
      expect(out.rerouted.map((x) => [x.image, x.change])).toEqual([
        [`registry.redhat.io/redhat/a@${D}`, 'first-source-changed'],
        ['registry.redhat.io/ubi8/ubi:8.10', 'first-source-changed'],
      ]);
      expect(out.rerouted[0]!.before[0]).toBe(`old-mirror.corp/redhat/a@${D}`);
      expect(out.rerouted[0]!.after[0]).toBe(`mirror.corp:8443/redhat/a@${D}`);
    },
  );

  it('refused: exit 1 and the MCO message on stderr; usage errors are one line, exit 2', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'apiVersion: config.openshift.io/v1\nkind: ImageTagMirrorSet\nmetadata: {name: t}\nspec:\n  ' +
        'imageTagMirrors:\n  - source: "registry.redhat.io/redhat/"\n    mirrors: [m.corp/redhat]\n',
    );
    const r = await runCli(['what-if', '--policies', current, '--proposed', bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('1. The MCO REFUSES the result: invalid format for source "registry.redhat.io/redhat/"');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const u = await runCli(['what-if', '--proposed', bad]);
    expect(u.code).toBe(2);
    expect(u.stderr).toContain('needs the current objects');
    const rm = await runCli(['what-if', '--policies', current, '--remove', 'deployment/x']);
    expect(rm.code).toBe(2);
    expect(rm.stderr).toContain('--remove takes KIND/NAME');
  });
});

describe('reroutes pruned by the changed prefixes', () => {
  it(
    'gives exactly what resolving every image gives (new mirrors, a ' +
      'NeverContactSource on a mirror host, removals)',
    async () => {
      const { reroutes } = await import('../../src/domain/what-if.ts');
      const { renderPolicies } = await import('../../src/domain/render.ts');
      const { diffRegistries } = await import('../../src/domain/registries-diff.ts');
      const { overlayPolicies } = await import('../../src/domain/policy-overlay.ts');
      const rules = [];
      for (let i = 0; i < 200; i++)
        rules.push({
          source: `reg-${i % 5}.example.com/ns-${i % 9}/repo-${i}`,
          mirrors: [`mirror.corp/reg-${i % 5}/repo-${i}`],
        });
      rules.push({ source: 'reg-1.example.com/ns-1', mirrors: ['mirror.corp/ns-1'] });
      const current = set({ idms: [{ ...idms('oc', 'x.io', []), spec: { imageDigestMirrors: rules } }] });
      const next = rules
        .filter((_, i) => i % 7 !== 3)
        .map((r, i) => (i % 11 === 0 ? { ...r, mirrors: ['new.corp/' + r.source, ...r.mirrors] } : r));
      const proposed = [
        { ...idms('oc', 'x.io', []), spec: { imageDigestMirrors: next } },
        idms('lock', 'mirror.corp/reg-2', ['far.corp/reg-2'], 'NeverContactSource'),
        itms('t', 'reg-4.example.com', ['tags.corp/reg-4']),
      ];
      const conf = (p: PolicySet) => confFromEntries(renderPolicies(p).registries);
      const before = conf(current);
      const after = conf(overlayPolicies(current, proposed).policies);
      const images = parseImagesFile(
        Array.from({ length: 400 }, (_, k) => {
          const i = (k * 13) % 200;
          // Every seventh image sits on no mirrored repository at all.
          const repo =
            k % 7 === 6 ? `reg-${i % 5}.example.com/other/app` : `reg-${i % 5}.example.com/ns-${i % 9}/repo-${i}/app`;
          return k % 2 ? `${repo}:v1` : `${repo}@${D}`;
        }).join('\n'),
        'l',
      );
      const changed = new Set(diffRegistries(after.registries, before.registries, 'change').map((d) => d.source));
      const pruned = reroutes(before, after, images, changed);
      const all = reroutes(before, after, images);
      expect(pruned.rerouted.length).toBeGreaterThan(20);
      expect(pruned.rerouted.some((r) => r.changes.includes('loses-mirror'))).toBe(true);
      expect(pruned.rerouted.some((r) => r.after.some((a) => a.endsWith('(blocked)')))).toBe(true);
      expect(pruned).toEqual(all);
    },
  );
});
