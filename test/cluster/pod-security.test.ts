// Pod Security admission is real: namespaces without labels enforce "restricted" (as the admission
// config of test/controlplane sets the default), so the debug namespace's labels are load-bearing.
import { describe, expect, it } from 'vitest';
import { CoreV1Api } from '@kubernetes/client-node';
import { adminConfig, botConfig } from './cluster-info.ts';
import { apply, createNamespace, expectApiError, uniqueName } from './kube.ts';
import type { KubernetesObject } from '@kubernetes/client-node';
import { debugNamespace, debugPod } from './debug-pod.ts';

/** A namespace with the debug pod's ServiceAccount, so that ServiceAccount admission lets it through. */
async function namespaceWithDebugSA(name: string, labels: Record<string, string> = {}): Promise<void> {
  await createNamespace(adminConfig(), name, labels);
  await apply(adminConfig(), [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'icsp-bot-debug', namespace: name },
    } as KubernetesObject,
  ]);
}

describe('Pod Security admission', () => {
  it('rejects the privileged debug pod in a namespace without the privileged labels', async () => {
    const ns = uniqueName('unlabelled');
    await namespaceWithDebugSA(ns);
    // As cluster admin, so that only admission (not RBAC) can say no.
    const status = await expectApiError(
      adminConfig()
        .makeApiClient(CoreV1Api)
        .createNamespacedPod({ namespace: ns, body: debugPod('worker-0', ns) }),
    );
    expect(status.code).toBe(403);
    expect(status.message).toContain('violates PodSecurity "restricted:latest"');
    expect(status.message).toMatch(
      /privileged \(container "container-00" must not set securityContext.privileged=true\)/,
    );
    expect(status.message).toContain('host namespaces');
  });

  it('rejects it under "baseline" too: only "privileged" admits host namespaces', async () => {
    const ns = uniqueName('baseline');
    await namespaceWithDebugSA(ns, { 'pod-security.kubernetes.io/enforce': 'baseline' });
    const status = await expectApiError(
      adminConfig()
        .makeApiClient(CoreV1Api)
        .createNamespacedPod({ namespace: ns, body: debugPod('worker-0', ns) }),
    );
    expect(status.code).toBe(403);
    expect(status.message).toContain('violates PodSecurity "baseline:latest"');
  });

  it('admits it in the debug namespace of manifests/, created by the bot itself', async () => {
    const core = botConfig().makeApiClient(CoreV1Api);
    // No node of that name: nothing runs it, and it is deleted at once (no kubelet to wait for).
    const body = debugPod('no-such-node');
    const name = body.metadata.name;
    const pod = await core.createNamespacedPod({ namespace: debugNamespace, body });
    expect(pod.spec?.containers[0]?.securityContext?.privileged).toBe(true);
    expect(pod.status?.phase).toBe('Pending');
    await core.deleteNamespacedPod({ namespace: debugNamespace, name, gracePeriodSeconds: 0 });
  });
});
