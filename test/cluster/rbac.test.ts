// The bot runs with exactly what manifests/ grants: these requests go to a real kube-apiserver
// with RBAC, authenticated by a TokenRequest token of ServiceAccount icsp-bot/icsp-bot.
import { describe, expect, it } from 'vitest';
import { AuthenticationV1Api, CoordinationV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { botConfig, clusterInfo } from './cluster-info.ts';
import { expectApiError, uniqueName } from './kube.ts';
import { debugNamespace, debugPod } from './debug-pod.ts';

const reads: [plural: string, group: string, version: string][] = [
  ['imagecontentsourcepolicies', 'operator.openshift.io', 'v1alpha1'],
  ['imagedigestmirrorsets', 'config.openshift.io', 'v1'],
  ['imagetagmirrorsets', 'config.openshift.io', 'v1'],
  ['images', 'config.openshift.io', 'v1'],
  ['clusterversions', 'config.openshift.io', 'v1'],
  ['machineconfigpools', 'machineconfiguration.openshift.io', 'v1'],
];

describe('RBAC: the bot as ServiceAccount icsp-bot', () => {
  it('is authenticated as that ServiceAccount by its TokenRequest token', async () => {
    const review = await botConfig().makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).toBe(clusterInfo().botServiceAccount);
    expect(review.status?.userInfo?.groups).toEqual(
      expect.arrayContaining(['system:serviceaccounts', 'system:serviceaccounts:icsp-bot']),
    );
  });

  it.each(reads)('may list %s.%s', async (plural, group, version) => {
    const list = await botConfig().makeApiClient(CustomObjectsApi).listClusterCustomObject({ group, version, plural });
    expect(list).toMatchObject({ items: [] });
  });

  it(
    'may get a MachineConfig by name but not list or watch ' + 'them (the code reads the rendered one by name)',
    async () => {
      const custom = botConfig().makeApiClient(CustomObjectsApi);
      const mc = { group: 'machineconfiguration.openshift.io', version: 'v1', plural: 'machineconfigs' };
      expect(
        (await expectApiError(custom.getClusterCustomObject({ ...mc, name: uniqueName('rendered-worker') }))).code,
      ).toBe(404);
      expect((await expectApiError(custom.listClusterCustomObject(mc))).code).toBe(403);
      expect((await expectApiError(custom.listClusterCustomObject({ ...mc, watch: true }))).code).toBe(403);
    },
  );

  it('may list nodes', async () => {
    await expect(botConfig().makeApiClient(CoreV1Api).listNode()).resolves.toBeDefined();
  });

  it('triage: may read pods and events in every namespace, field-selected, and change none', async () => {
    const core = botConfig().makeApiClient(CoreV1Api);
    await expect(core.listPodForAllNamespaces({ limit: 1 })).resolves.toBeDefined();
    await expect(
      core.listEventForAllNamespaces({ fieldSelector: 'involvedObject.kind=Pod,reason=Failed', limit: 1 }),
    ).resolves.toBeDefined();
    expect((await expectApiError(core.deleteNamespacedPod({ namespace: 'default', name: 'any' }))).code).toBe(403);
    expect(
      (
        await expectApiError(
          core.createNamespacedEvent({
            namespace: 'default',
            body: { metadata: { name: uniqueName('ev') }, involvedObject: {} },
          }),
        )
      ).code,
    ).toBe(403);
    expect((await expectApiError(core.readNamespacedPodLog({ namespace: 'default', name: 'any' }))).code).toBe(403);
  });

  it('may not change mirror policies', async () => {
    const status = await expectApiError(
      botConfig()
        .makeApiClient(CustomObjectsApi)
        .createClusterCustomObject({
          group: 'config.openshift.io',
          version: 'v1',
          plural: 'imagedigestmirrorsets',
          body: {
            apiVersion: 'config.openshift.io/v1',
            kind: 'ImageDigestMirrorSet',
            metadata: { name: uniqueName('idms') },
            spec: {},
          },
        }),
    );
    expect(status.code).toBe(403);
    expect(status.reason).toBe('Forbidden');
    expect(status.message).toContain(
      'User "system:serviceaccount:icsp-bot:icsp-bot" cannot create resource "imagedigestmirrorsets"',
    );
  });

  it('may not read secrets anywhere', async () => {
    const status = await expectApiError(
      botConfig().makeApiClient(CoreV1Api).listNamespacedSecret({ namespace: 'icsp-bot' }),
    );
    expect(status).toMatchObject({ code: 403, reason: 'Forbidden' });
  });

  it('may not create pods outside the debug namespace', async () => {
    const status = await expectApiError(
      botConfig()
        .makeApiClient(CoreV1Api)
        .createNamespacedPod({ namespace: 'icsp-bot', body: debugPod('worker-0', 'icsp-bot') }),
    );
    expect(status.code).toBe(403);
    expect(status.message).toContain('cannot create resource "pods" in API group "" in the namespace "icsp-bot"');
  });

  it('may list pods and may not exec into them in the debug namespace', async () => {
    const core = botConfig().makeApiClient(CoreV1Api);
    await expect(core.listNamespacedPod({ namespace: debugNamespace })).resolves.toBeDefined();
    const status = await expectApiError(
      core.connectPostNamespacedPodExec({ namespace: debugNamespace, name: 'x', command: 'id' }),
    );
    expect(status.code).toBe(403);
  });

  it(
    'may list pods in every namespace (what-if reads their images) ' +
      'but not read their logs outside the debug namespace',
    async () => {
      const core = botConfig().makeApiClient(CoreV1Api);
      await expect(core.listPodForAllNamespaces({ limit: 1 })).resolves.toBeDefined();
      const status = await expectApiError(core.readNamespacedPodLog({ namespace: 'icsp-bot', name: 'any' }));
      expect(status.code).toBe(403);
    },
  );

  it('may not update pods (only create and delete)', async () => {
    const status = await expectApiError(
      botConfig().makeApiClient(CoreV1Api).patchNamespacedPod({ namespace: debugNamespace, name: 'any', body: [] }),
    );
    expect(status.code).toBe(403);
  });

  it('keeps its state in ConfigMaps of its own namespace only', async () => {
    const core = botConfig().makeApiClient(CoreV1Api);
    const name = uniqueName('state');
    await core.createNamespacedConfigMap({ namespace: 'icsp-bot', body: { metadata: { name }, data: { seen: '1' } } });
    await core.replaceNamespacedConfigMap({
      namespace: 'icsp-bot',
      name,
      body: { metadata: { name }, data: { seen: '2' } },
    });
    expect((await core.readNamespacedConfigMap({ namespace: 'icsp-bot', name })).data).toEqual({ seen: '2' });
    // No delete: state is overwritten, never removed. No list or watch: the code reads its ConfigMaps by name.
    expect((await expectApiError(core.deleteNamespacedConfigMap({ namespace: 'icsp-bot', name }))).code).toBe(403);
    expect((await expectApiError(core.listNamespacedConfigMap({ namespace: 'icsp-bot' }))).code).toBe(403);
    expect((await expectApiError(core.listNamespacedConfigMap({ namespace: 'icsp-bot', watch: true }))).code).toBe(403);
    const elsewhere = await expectApiError(
      core.createNamespacedConfigMap({ namespace: debugNamespace, body: { metadata: { name } } }),
    );
    expect(elsewhere.code).toBe(403);
  });

  it('may take a leader-election Lease in its namespace, and not delete it', async () => {
    const coordination = botConfig().makeApiClient(CoordinationV1Api);
    const name = uniqueName('leader');
    const lease = await coordination.createNamespacedLease({
      namespace: 'icsp-bot',
      body: { metadata: { name }, spec: { holderIdentity: 'replica-a', leaseDurationSeconds: 15 } },
    });
    lease.spec = { ...lease.spec, holderIdentity: 'replica-b' };
    await coordination.replaceNamespacedLease({ namespace: 'icsp-bot', name, body: lease });
    expect((await expectApiError(coordination.deleteNamespacedLease({ namespace: 'icsp-bot', name }))).code).toBe(403);
  });
});
