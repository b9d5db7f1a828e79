// what-if against the real control plane, as the bot's ServiceAccount: the current IDMS, a pool with its size and
// last rollout, and pods in two namespaces are read from the API server; a proposed IDMS reroutes some images.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { readWhatIfState } from '../../src/cluster/what-if-state.ts';
import { whatIf } from '../../src/domain/what-if.ts';
import { runCli } from '../helpers/run-cli.ts';
import { adminConfig, botConfig } from './cluster-info.ts';
import { createNamespace, uniqueName } from './kube.ts';
import { tempDir } from '../helpers/test-temp-dir.ts';

const D = `sha256:${'9'.repeat(64)}`;
const MCO = { group: 'machineconfiguration.openshift.io', version: 'v1' } as const;
const IDMS = { group: 'config.openshift.io', version: 'v1', plural: 'imagedigestmirrorsets' } as const;

const run = uniqueName('whatif');
const host = `${run}.example.com`;
const nsA = `${run}-shop`;
const nsB = `${run}-billing`;
const pool = `${run}-pool`;
const rendered = `rendered-${pool}-0123456789abcdef`;
const cleanup: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  const admin = adminConfig();
  const custom = admin.makeApiClient(CustomObjectsApi);
  const core = admin.makeApiClient(CoreV1Api);
  await custom.createClusterCustomObject({
    ...IDMS,
    body: {
      apiVersion: 'config.openshift.io/v1',
      kind: 'ImageDigestMirrorSet',
      metadata: { name: run },
      spec: { imageDigestMirrors: [{ source: `${host}/team`, mirrors: [`old-mirror.${host}/team`] }] },
    },
  });
  cleanup.push(() => custom.deleteClusterCustomObject({ ...IDMS, name: run }));
  // The pool's current rendered config was created when its last rollout started; Updated=True 8 minutes later.
  const mc = (await custom.createClusterCustomObject({
    ...MCO,
    plural: 'machineconfigs',
    body: {
      apiVersion: 'machineconfiguration.openshift.io/v1',
      kind: 'MachineConfig',
      metadata: { name: rendered },
      spec: {},
    },
  })) as { metadata: { creationTimestamp: string } };
  cleanup.push(() => custom.deleteClusterCustomObject({ ...MCO, plural: 'machineconfigs', name: rendered }));
  const p = (await custom.createClusterCustomObject({
    ...MCO,
    plural: 'machineconfigpools',
    body: {
      apiVersion: 'machineconfiguration.openshift.io/v1',
      kind: 'MachineConfigPool',
      metadata: { name: pool },
      spec: { maxUnavailable: 2, configuration: { name: rendered } },
    },
  })) as Record<string, unknown>;
  cleanup.push(() => custom.deleteClusterCustomObject({ ...MCO, plural: 'machineconfigpools', name: pool }));
  const done = new Date(Date.parse(mc.metadata.creationTimestamp) + 8 * 60_000).toISOString();
  await custom.replaceClusterCustomObjectStatus({
    ...MCO,
    plural: 'machineconfigpools',
    name: pool,
    body: {
      ...p,
      status: {
        machineCount: 4,
        updatedMachineCount: 4,
        readyMachineCount: 4,
        configuration: { name: rendered },
        conditions: [
          { type: 'Updated', status: 'True', lastTransitionTime: done },
          { type: 'Updating', status: 'False', lastTransitionTime: done },
        ],
      },
    },
  });
  for (const ns of [nsA, nsB]) {
    await createNamespace(admin, ns);
    cleanup.push(() => core.deleteNamespace({ name: ns }));
  }
  // Restricted pods (the API server enforces Pod Security "restricted"); never scheduled, only their images count.
  const restricted = {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
  };
  const pod = (ns: string, name: string, images: string[]) =>
    core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name },
        spec: { containers: images.map((image, i) => ({ name: `c${i}`, image, securityContext: restricted })) },
      },
    });
  await pod(nsA, 'web-1', [`${host}/team/web@${D}`, `${host}/team/sidecar:1`]);
  await pod(nsA, 'web-2', [`${host}/team/web@${D}`]);
  await pod(nsB, 'pay', [`${host}/team/web@${D}`, `quay.io/${run}/unrelated@${D}`]);
});

afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

const proposedIdms =
  `apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata:\n  name: ${run}\nspec:\n  ` +
  `imageDigestMirrors:\n  - source: ${host}/team\n    mirrors: [new-mirror.${host}/team, ` +
  `old-mirror.${host}/team]\n`;

describe('what-if on the real API server, as the bot', () => {
  it(
    'reads the policies, the pool (size, maxUnavailable, last rollout) and the pods; ' +
      'the proposed IDMS reroutes the digest-pulled image in both namespaces',
    async () => {
      const state = await readWhatIfState(botConfig());
      expect(state.notes.filter((n) => /forbidden/i.test(n))).toEqual([]);
      expect(state.policies.idms.some((o) => o.metadata.name === run)).toBe(true);
      expect(state.images.get(`${host}/team/web@${D}`)).toEqual(
        new Map([
          [nsA, 2],
          [nsB, 1],
        ]),
      );
      const facts = state.pools.find((p) => p.name === pool);
      expect(facts).toMatchObject({
        machineCount: 4,
        maxUnavailable: 2,
        lastRollout: { durationMs: 8 * 60_000, nodes: 4 },
      });
      const { parsePolicyDocuments } = await import('../../src/domain/policy-documents.ts');
      const r = whatIf({
        current: state.policies,
        proposed: parsePolicyDocuments(proposedIdms, 'proposed.yaml').objects,
        images: state.images,
        pools: state.pools,
        machineConfiguration: state.machineConfiguration,
      });
      expect(r.accepted).toBe(true);
      // Mirrors added in front of an existing one: digest-only, nothing removed: no drain.
      expect(r.pools.find((p) => p.pool === pool)).toMatchObject({
        nodes: 4,
        batches: 2,
        drain: false,
        reboot: false,
        estimateMs: 8 * 60_000,
      });
      const mine = r.rerouted.filter((x) => x.image.includes(host));
      expect(mine.map((x) => [x.image, x.change])).toEqual([[`${host}/team/web@${D}`, 'first-source-changed']]);
      expect(mine[0]!.namespaces).toEqual([
        { namespace: nsB, pods: 1 },
        { namespace: nsA, pods: 2 },
      ]);
    },
  );

  it('the CLI with --kubeconfig (the bot token) gives the same answer as JSON', async () => {
    const dir = tempDir('whatif-cluster-');
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, botConfig().exportConfig());
    const proposed = join(dir, 'proposed.yaml');
    writeFileSync(proposed, proposedIdms);
    const r = await runCli(['what-if', '--kubeconfig', kubeconfig, '--proposed', proposed, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      mco: { accepts: boolean };
      rerouted: Array<{ image: string; namespaces: string[]; before: string[]; after: string[] }>;
    };
    expect(out.mco.accepts).toBe(true);
    const web = out.rerouted.find((x) => x.image === `${host}/team/web@${D}`);
    expect(web).toEqual(
      expect.objectContaining({
        namespaces: [nsB, nsA],
        before: [`old-mirror.${host}/team/web@${D}`, `${host}/team/web@${D}`],
        after: [`new-mirror.${host}/team/web@${D}`, `old-mirror.${host}/team/web@${D}`, `${host}/team/web@${D}`],
      }),
    );
  });
});
