// Debug pods end to end through the real API server: the bot creates a pod pinned to a node, the
// fake kubelet "runs" it, and the bot reads its log via pods/log (API server → kubelet proxy).
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, Log } from '@kubernetes/client-node';
import type { V1Pod } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { adminConfig, botConfig, clusterInfo } from './cluster-info.ts';
import { FakeKubelet } from './fake-kubelet.ts';
import type { PodBehaviour } from './fake-kubelet.ts';
import { eventually, expectApiError } from './kube.ts';
import { checkedImage, debugNamespace as namespace, debugPod, toolsImage } from './debug-pod.ts';
import { MARK, parseCheckOutput } from '../../src/domain/debug-pod.ts';

let kubelet: FakeKubelet;
const bot = () => botConfig().makeApiClient(CoreV1Api);

beforeAll(async () => {
  const info = clusterInfo();
  kubelet = await FakeKubelet.start(adminConfig(), {
    nodes: ['worker-0', 'worker-1'],
    certFile: info.kubeletCertFile,
    keyFile: info.kubeletKeyFile,
  });
});
afterAll(async () => {
  // These pods are the tests' own: delete them, so later files that assert "no debug pod left" start clean.
  await adminConfig().makeApiClient(CoreV1Api).deleteCollectionNamespacedPod({
    namespace,
    labelSelector: 'app.kubernetes.io/managed-by=icsp-bot',
    gracePeriodSeconds: 0,
  });
  await kubelet?.stop();
});

/**
 * Creates the bot's debug pod as the bot, after telling the kubelet what it does; records every
 * phase the pod is seen in.
 */
async function runDebugPod(
  behaviour: PodBehaviour,
  node = 'worker-0',
): Promise<{ name: string; phases: string[]; pod: () => Promise<V1Pod> }> {
  const phases: string[] = [];
  const body = debugPod(node);
  const name = body.metadata.name;
  kubelet.behave(namespace, name, behaviour);
  await bot().createNamespacedPod({ namespace, body });
  const pod = async () => {
    const p = await bot().readNamespacedPod({ namespace, name });
    const phase = p.status?.phase ?? '';
    if (phases.at(-1) !== phase) phases.push(phase);
    return p;
  };
  return { name, phases, pod };
}

async function until(pod: () => Promise<V1Pod>, ok: (p: V1Pod) => boolean, what: string): Promise<V1Pod> {
  return eventually(
    async () => {
      const p = await pod();
      return ok(p) ? p : undefined;
    },
    10_000,
    what,
  );
}

describe('debug pods on fake kubelet nodes', () => {
  it('registered its nodes with the kubelet endpoint on 127.0.0.1', async () => {
    const node = await bot().readNode({ name: 'worker-0' });
    expect(node.status?.addresses).toEqual([{ type: 'InternalIP', address: '127.0.0.1' }]);
    expect(node.status?.daemonEndpoints?.kubeletEndpoint?.Port).toBe(kubelet.port);
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('runs the pod Pending → Running → Succeeded, and serves its log through the API server', async () => {
    const { name, phases, pod } = await runDebugPod(async ({ pod: created, container }) => {
      expect(created.spec?.nodeName).toBe('worker-0');
      return { logs: `pulled ${container.image}\nok\n`, exitCode: 0, durationMs: 300 };
    });
    const done = await until(pod, (p) => p.status?.phase === 'Succeeded', 'Succeeded');
    expect(phases).toEqual(['Pending', 'Running', 'Succeeded']);
    expect(done.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });

    const log = await bot().readNamespacedPodLog({ namespace, name, container: 'container-00' });
    expect(log).toBe(`pulled ${toolsImage}\nok\n`);
    expect(await bot().readNamespacedPodLog({ namespace, name, tailLines: 1 })).toBe('ok\n');
    // Completed pods are deleted at once (no graceful period to wait for).
    await bot().deleteNamespacedPod({ namespace, name });
    expect((await expectApiError(bot().readNamespacedPod({ namespace, name }))).code).toBe(404);
  });

  it('reports a failing check as Failed with its exit code', async () => {
    const { name, pod } = await runDebugPod(() => ({ logs: 'Error: manifest unknown\n', exitCode: 125 }), 'worker-1');
    const failed = await until(pod, (p) => p.status?.phase === 'Failed', 'Failed');
    expect(failed.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 125, reason: 'Error' });
    expect(await bot().readNamespacedPodLog({ namespace, name })).toBe('Error: manifest unknown\n');
  });

  it('shows an image pull failure as ErrImagePull then ImagePullBackOff, and logs as BadRequest', async () => {
    const { name, pod } = await runDebugPod(() => ({ imagePullError: 'reading manifest latest: manifest unknown' }));
    await until(
      pod,
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImagePull',
      'ErrImagePull',
    );
    const backoff = await until(
      pod,
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff',
      'ImagePullBackOff',
    );
    expect(backoff.status?.phase).toBe('Pending');
    expect(backoff.status?.containerStatuses?.[0]?.state?.waiting?.message).toContain('manifest unknown');

    const status = await expectApiError(bot().readNamespacedPodLog({ namespace, name }));
    expect(status.code).toBe(400);
    expect(status.message).toBe(
      `container "container-00" in pod "${name}" is waiting to start: trying and failing to pull image`,
    );
  });

  it('streams a running container log with follow=true until the container exits', async () => {
    const { name, pod } = await runDebugPod(async ({ write }) => {
      for (const line of ['one\n', 'two\n', 'three\n']) {
        write(line);
        await sleep(150);
      }
      return { exitCode: 0 };
    });
    await until(pod, (p) => p.status?.phase === 'Running', 'Running');
    const out = new PassThrough();
    let text = '';
    out.on('data', (b: Buffer) => (text += b.toString()));
    const ended = new Promise((done) => out.on('end', done));
    await new Log(botConfig()).log(namespace, name, 'container-00', out, { follow: true });
    await ended;
    expect(text).toBe('one\ntwo\nthree\n');
  });

  it('completes a graceful deletion of a hanging pod, as a kubelet would', async () => {
    const { name, pod } = await runDebugPod(() => ({ hang: true, logs: 'waiting for the registry...\n' }));
    await until(pod, (p) => p.status?.phase === 'Running', 'Running');
    // Default grace period (30s): the API server only marks it; the kubelet finishes it.
    const marked = await bot().deleteNamespacedPod({ namespace, name });
    expect(marked.metadata?.deletionTimestamp).toBeDefined();
    await eventually(
      async () => {
        try {
          await bot().readNamespacedPod({ namespace, name });
          return undefined;
        } catch {
          return true;
        }
      },
      5_000,
      'the pod to be gone',
    );
  });

  it("carries the check script's output to the bot intact (what a podman-lab behaviour will produce)", async () => {
    const conf =
      'unqualified-search-registries = []\n\n[[registry]]\nprefix = ' +
      '""\nlocation = "quay.io/openshift-release-dev/ocp-release"\n';
    const { name, pod } = await runDebugPod(({ container, write }) => {
      // The reference arrives as the last argv element of the real pod's command.
      const ref = container.command?.at(-1) ?? '';
      write(`${MARK.confBegin}/etc/containers/registries.conf\n${conf}${MARK.confEnd}\n`);
      write(
        `${MARK.pullBegin}\nTrying to pull ${ref}...\nError: initializing ` +
          `source docker://${ref}: manifest unknown\n${MARK.pullEnd}\n`,
      );
      return { logs: `${MARK.summary}{"pullExit":125,"presentBefore":false,"removed":false}\n`, exitCode: 0 };
    });
    await until(pod, (p) => p.status?.phase === 'Succeeded', 'Succeeded');
    const out = parseCheckOutput(await bot().readNamespacedPodLog({ namespace, name }));
    expect(out.confFiles).toEqual([{ name: '/etc/containers/registries.conf', toml: conf }]);
    expect(out.podmanLog).toContain(`docker://${checkedImage}: manifest unknown`);
    expect(out.summary).toEqual({ pullExit: 125, presentBefore: false, removed: false });
  });

  it('gives the bot no logs of pods outside the debug namespace', async () => {
    const status = await expectApiError(bot().readNamespacedPodLog({ namespace: 'kube-system', name: 'anything' }));
    expect(status.code).toBe(403);
  });
});
