// Makes a fresh control plane look like a cluster the bot is installed on: OpenShift CRDs, OpenShift's built-in
// stand-ins, the bot's manifests as shipped, and a token for its ServiceAccount. The global setup does it for the
// shared control plane; the fleet test does it for a second one.
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ControlPlane } from './control-plane.ts';
import { adminKubeConfig, apply, createNamespace, installCrds, mintToken, readKustomization } from './kube.ts';
import type { ClusterInfo } from './cluster-info.ts';

const repoRoot = resolve(import.meta.dirname, '../..');

/** OpenShift's built-in ClusterRole does not exist on plain Kubernetes; the manifests bind it. */
const sccPrivilegedStandIn = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name: 'system:openshift:scc:privileged' },
  rules: [
    {
      apiGroups: ['security.openshift.io'],
      resources: ['securitycontextconstraints'],
      resourceNames: ['privileged'],
      verbs: ['use'],
    },
  ],
} as KubernetesObject;

/**
 * OpenShift ships this PriorityClass (oc debug node uses it, so does the bot's debug pod); on plain
 * Kubernetes Priority admission rejects the pod without it. Same value as OpenShift's.
 */
const openshiftUserCritical = {
  apiVersion: 'scheduling.k8s.io/v1',
  kind: 'PriorityClass',
  metadata: { name: 'openshift-user-critical' },
  value: 1000000000,
  description: 'Stand-in for the OpenShift built-in: for user facing OpenShift workload pods.',
} as KubernetesObject;

export async function prepareCluster(cp: ControlPlane): Promise<ClusterInfo> {
  const admin = adminKubeConfig(cp.info);

  // An RV from before the CRDs' watch caches exist: older than their window, hence "expired".
  const rvBeforeCrds = (await admin.makeApiClient(CoreV1Api).listNamespace()).metadata?.resourceVersion ?? '';
  const crdFiles = execFileSync('bash', [join(repoRoot, 'test/controlplane/crds.sh')], { encoding: 'utf8' })
    .trim()
    .split('\n');
  const crds = await installCrds(admin, crdFiles);

  await apply(admin, [sccPrivilegedStandIn, openshiftUserCritical]);
  // OpenShift's own namespace, where manifests/ grants the optional read of ImageStream openshift/tools.
  await createNamespace(admin, 'openshift');
  const manifests = readKustomization(join(repoRoot, 'manifests'));
  await apply(admin, manifests);
  // Stand in for the ServiceAccount controller in the manifests' namespaces.
  for (const ns of manifests.filter((o) => o.kind === 'Namespace')) {
    await createNamespace(admin, ns.metadata?.name ?? '', ns.metadata?.labels ?? {});
  }
  const botToken = await mintToken(admin, 'icsp-bot', 'icsp-bot');

  const info: ClusterInfo = {
    ...cp.info,
    botToken,
    botServiceAccount: 'system:serviceaccount:icsp-bot:icsp-bot',
    rvBeforeCrds,
    crds: crds.map((c) => c.metadata?.name ?? ''),
    logFile: cp.logFile,
  };
  return info;
}
