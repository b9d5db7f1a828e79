// The debug pod's lifecycle on the real API server, as the bot: every failure is one clear line, every wait is
// bounded, and no path leaves a pod behind (errors, deadline, abort, SIGTERM of the process); the startup
// sweep removes what an earlier process left.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, PatchStrategy, RbacAuthorizationV1Api, setHeaderOptions } from '@kubernetes/client-node';
import type { V1Pod } from '@kubernetes/client-node';
import { ClusterLiveChecker, LiveCheckInputError } from '../../src/cluster/live-checker.ts';
import type { ClusterLiveCheckSettings } from '../../src/cluster/live-checker.ts';
import { LivePolicies } from '../../src/cluster/live-policies.ts';
import { liveWhyCommand } from '../../src/cli/live-why-command.ts';
import { MARK } from '../../src/domain/debug-pod.ts';
import { adminConfig, botConfig, clusterInfo } from './cluster-info.ts';
import { debugNamespace, debugPod, toolsImage } from './debug-pod.ts';
import { FakeKubelet } from './fake-kubelet.ts';
import type { PodBehaviour } from './fake-kubelet.ts';
import { createNamespace, eventually } from './kube.ts';
import { captureIo, debugPods, writeBotKubeconfig } from './live-helpers.ts';
import { tempDir } from '../helpers/test-temp-dir.ts';

const NODES = ['lc-0', 'lc-1', 'lc-2'];
const IMAGE = `quay.io/example/app@sha256:${'b'.repeat(64)}`;
const behaviours = new Map<string, PodBehaviour>();
const killed: string[] = [];
let kubelet: FakeKubelet;
let policies: LivePolicies;
const checkers: ClusterLiveChecker[] = [];
const dir = tempDir('icsp-live-lc-');
const core = () => adminConfig().makeApiClient(CoreV1Api);

/** What the check script prints when the pull fails before any registry (no podman log). */
const CANNED = [
  `${MARK.confBegin}/etc/containers/registries.conf`,
  'unqualified-search-registries = []',
  MARK.confEnd,
  MARK.pullBegin,
  'Error: no such image',
  MARK.pullEnd,
  `${MARK.summary}{"pullExit":125,"presentBefore":false,"removed":false}`,
  '',
].join('\n');

function checker(settings: ClusterLiveCheckSettings = {}): ClusterLiveChecker {
  const c = new ClusterLiveChecker(botConfig(), { debugImage: toolsImage, policies, sweepOnStart: false, ...settings });
  checkers.push(c);
  return c;
}

async function patchNode(name: string, body: object, status = false): Promise<void> {
  const opts = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  if (status) await core().patchNodeStatus({ name, body }, opts);
  else await core().patchNode({ name, body }, opts);
}

beforeAll(async () => {
  const info = clusterInfo();
  kubelet = await FakeKubelet.start(adminConfig(), {
    nodes: NODES,
    certFile: info.kubeletCertFile,
    keyFile: info.kubeletKeyFile,
    behaviour: (ctx) => {
      const node = ctx.pod.spec?.nodeName ?? '';
      ctx.signal.addEventListener('abort', () => killed.push(ctx.pod.metadata?.name ?? ''));
      return (behaviours.get(node) ?? (() => ({ logs: CANNED, exitCode: 0 })))(ctx);
    },
  });
  policies = new LivePolicies(botConfig(), { resyncMs: 0 });
  await policies.start();
});

afterEach(async () => {
  behaviours.clear();
  for (const c of checkers.splice(0)) await c.shutdown();
});

afterAll(async () => {
  policies?.stop();
  await kubelet?.stop();
});

describe('live check lifecycle', () => {
  it('an unknown node is an input error, one line, and no pod is created', async () => {
    const err = await checker()
      .check({ image: IMAGE, selection: { node: 'nope-1' }, requestedBy: 'test' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LiveCheckInputError);
    expect((err as Error).message).toBe('unknown node nope-1 (oc get nodes lists them)');
    const pool = await checker()
      .check({ image: IMAGE, selection: { pool: 'nope' }, requestedBy: 'test' })
      .catch((e: unknown) => e);
    expect(pool).toBeInstanceOf(LiveCheckInputError);
    expect((pool as Error).message).toMatch(/^unknown MachineConfigPool nope/);
    expect(await debugPods()).toEqual([]);
  });

  it("a NotReady node is refused at once with the node's reason; nodes=all checks the others", async () => {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await patchNode(
      'lc-2',
      {
        status: {
          conditions: [
            {
              type: 'Ready',
              status: 'Unknown',
              reason: 'NodeStatusUnknown',
              message: 'Kubelet stopped posting node status.',
              lastHeartbeatTime: now,
              lastTransitionTime: now,
            },
          ],
        },
      },
      true,
    );
    try {
      const t0 = Date.now();
      const r = await checker().check({ image: IMAGE, selection: { node: 'lc-2' }, requestedBy: 'test' });
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(r.nodes[0]?.verdict.code).toBe('check-failed');
      expect(r.nodes[0]?.error).toBe(
        'node lc-2 is NotReady (Ready=Unknown (NodeStatusUnknown: Kubelet stopped posting node status.)): not ' +
          'checked, a debug pod would not run or report there; check another node or fix the node first',
      );
      const all = await checker().check({ image: IMAGE, selection: { nodes: 'all' }, requestedBy: 'test' });
      expect(all.nodes.map((n) => [n.node, n.verdict.code])).toEqual([
        ['lc-0', 'no-attempts'],
        ['lc-1', 'no-attempts'],
        ['lc-2', 'check-failed'],
      ]);
      // the default picks a Ready, schedulable worker
      const def = await checker().check({ image: IMAGE, selection: { default: true }, requestedBy: 'test' });
      expect(def.nodes.map((n) => n.node)).toEqual(['lc-0']);
      expect(await debugPods()).toEqual([]);
    } finally {
      await patchNode(
        'lc-2',
        {
          status: {
            conditions: [
              {
                type: 'Ready',
                status: 'True',
                reason: 'KubeletReady',
                message: 'kubelet is posting ready status',
                lastHeartbeatTime: now,
                lastTransitionTime: now,
              },
            ],
          },
        },
        true,
      );
    }
  });

  it('an unschedulable (cordoned) node is checked anyway, with a warning', async () => {
    await patchNode('lc-1', { spec: { unschedulable: true } });
    try {
      const r = await checker().check({ image: IMAGE, selection: { node: 'lc-1' }, requestedBy: 'test' });
      const n = r.nodes[0]!;
      expect(n.error).toBeUndefined();
      expect(n.verdict.code).toBe('no-attempts');
      expect(n.verdict.reasons[0]).toMatch(/^node lc-1 is unschedulable \(cordoned/);
      const def = await checker().check({ image: IMAGE, selection: { default: true }, requestedBy: 'test' });
      expect(def.nodes.map((x) => x.node)).toEqual(['lc-0']);
    } finally {
      await patchNode('lc-1', { spec: { unschedulable: null } });
    }
  });

  it('the debug image itself cannot be pulled: said at once, with the ICSP_DEBUG_IMAGE hint; pod deleted', async () => {
    behaviours.set('lc-0', () => ({
      imagePullError: 'initializing source docker://registry.example.com/openshift/tools:latest: manifest unknown',
    }));
    const t0 = Date.now();
    const r = await checker().check({ image: IMAGE, selection: { node: 'lc-0' }, requestedBy: 'test' });
    expect(Date.now() - t0).toBeLessThan(5000);
    const n = r.nodes[0]!;
    expect(n.verdict.code).toBe('check-failed');
    expect(n.error).toMatch(
      new RegExp(
        String.raw`^the debug image registry\.example\.com\/openshift\/tools:latest cannot be pulled on ` +
          String.raw`lc-0 \(ErrImagePull: initializing source .*manifest unknown\): a mirror problem is ` +
          String.raw`suspected; set ICSP_DEBUG_IMAGE \(CLI: --debug-image\)`,
      ),
    );
    expect(await debugPods()).toEqual([]);
  });

  it('a check past its deadline is stopped: bounded wait, clear reason, pod deleted (container killed)', async () => {
    behaviours.set('lc-0', () => ({ hang: true, logs: 'pulling...\n' }));
    const t0 = Date.now();
    const r = await checker({ deadlineSeconds: 1, waitSlackMs: 500 }).check({
      image: IMAGE,
      selection: { node: 'lc-0' },
      requestedBy: 'test',
    });
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(1500);
    expect(took).toBeLessThan(5000);
    const n = r.nodes[0]!;
    expect(n.error).toBe(
      'the check on lc-0 did not finish within 2 s (deadline 1 s; the check was still running): the pod was deleted',
    );
    expect(n.log).toBe('pulling...\n');
    expect(await debugPods()).toEqual([]);
    await eventually(async () => (killed.length > 0 ? true : undefined), 5000, 'the container killed');
  });

  it("an aborted check (the caller's timeout) deletes its pod before it returns", async () => {
    behaviours.set('lc-0', () => ({ hang: true }));
    const r = await checker().check(
      { image: IMAGE, selection: { node: 'lc-0' }, requestedBy: 'test' },
      AbortSignal.timeout(800),
    );
    expect(r.nodes[0]?.error).toBe('the live check timed out: the check on lc-0 was stopped and its pod deleted');
    expect(await debugPods()).toEqual([]);
  });

  it('RBAC forbids the pod: the missing permission is named', async () => {
    const r = await checker({ namespace: 'icsp-bot' }).check({
      image: IMAGE,
      selection: { node: 'lc-0' },
      requestedBy: 'test',
    });
    expect(r.nodes[0]?.error).toMatch(
      new RegExp(
        String.raw`^cannot create the debug pod on lc-0: forbidden: pods is forbidden: User ` +
          String.raw`"system:serviceaccount:icsp-bot:icsp-bot" cannot create resource "pods" in API group "" ` +
          String.raw`in the namespace "icsp-bot"; the bot's ServiceAccount needs "create" on pods in ` +
          String.raw`namespace icsp-bot`,
      ),
    );
    expect(await debugPods('icsp-bot')).toEqual([]);
  });

  it('Pod Security forbids the pod: said as such, with the label to set', async () => {
    const ns = 'icsp-live-psa';
    await createNamespace(adminConfig(), ns, { 'pod-security.kubernetes.io/enforce': 'baseline' });
    await core()
      .createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'icsp-bot-debug' } } })
      .catch(() => undefined);
    const rbac = adminConfig().makeApiClient(RbacAuthorizationV1Api);
    // The bot's debug-namespace permissions, here too: only Pod Security stands in the way.
    await rbac
      .createNamespacedRole({
        namespace: ns,
        body: {
          metadata: { name: 'bot-debug' },
          rules: [
            { apiGroups: [''], resources: ['pods'], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
            { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
          ],
        },
      })
      .catch(() => undefined);
    await rbac
      .createNamespacedRoleBinding({
        namespace: ns,
        body: {
          metadata: { name: 'bot-debug' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'bot-debug' },
          subjects: [{ kind: 'ServiceAccount', name: 'icsp-bot', namespace: 'icsp-bot' }],
        },
      })
      .catch(() => undefined);
    try {
      const r = await checker({ namespace: ns }).check({
        image: IMAGE,
        selection: { node: 'lc-0' },
        requestedBy: 'test',
      });
      expect(r.nodes[0]?.error).toMatch(
        new RegExp(
          String.raw`^Pod Security admission forbids the debug pod in namespace icsp-live-psa \(.*violates ` +
            String.raw`PodSecurity "baseline:latest".*\): label the namespace ` +
            String.raw`pod-security.kubernetes.io\/enforce=privileged`,
        ),
      );
      expect(await debugPods(ns)).toEqual([]);
    } finally {
      await core()
        .deleteNamespace({ name: ns })
        .catch(() => undefined);
    }
  });

  it('SIGTERM in the middle of a check (the CLI in its own process) leaves no pod', async () => {
    behaviours.set('lc-0', () => ({ hang: true, logs: 'pulling...\n' }));
    const kubeconfig = writeBotKubeconfig(dir);
    const child = spawn(
      process.execPath,
      [
        join(import.meta.dirname, 'live-cli-child.ts'),
        IMAGE,
        '--live',
        '--node',
        'lc-0',
        '--kubeconfig',
        kubeconfig,
        '--debug-image',
        toolsImage,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const running = await eventually(
        async () => {
          const pods = await core().listNamespacedPod({
            namespace: debugNamespace,
            labelSelector: 'app.kubernetes.io/managed-by=icsp-bot',
          });
          return pods.items.find((p: V1Pod) => p.status?.phase === 'Running');
        },
        15_000,
        "the CLI's debug pod Running",
      );
      expect(running.spec?.nodeName).toBe('lc-0');
      child.kill('SIGTERM');
      expect(await exited).toBe(143);
      expect(stderr).toContain('icsp: SIGTERM: deleting the debug pods in flight');
      expect(await debugPods()).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('the startup sweep deletes leftover debug pods older than the deadline, and only those', async () => {
    behaviours.set('lc-0', () => ({ hang: true }));
    const bot = botConfig().makeApiClient(CoreV1Api);
    const old = debugPod('lc-0');
    await bot.createNamespacedPod({ namespace: debugNamespace, body: old });
    await new Promise((r) => setTimeout(r, 3200));
    const young = debugPod('lc-0');
    await bot.createNamespacedPod({ namespace: debugNamespace, body: young });
    try {
      const c = checker({ deadlineSeconds: 2, waitSlackMs: 0, sweepOnStart: true });
      const { swept } = await c.start();
      expect(swept).toEqual([old.metadata.name]);
      expect(await debugPods()).toEqual([young.metadata.name]);
    } finally {
      await bot
        .deleteNamespacedPod({ namespace: debugNamespace, name: young.metadata.name, gracePeriodSeconds: 0 })
        .catch(() => undefined);
      await bot
        .deleteNamespacedPod({ namespace: debugNamespace, name: old.metadata.name, gracePeriodSeconds: 0 })
        .catch(() => undefined);
    }
  });

  it('the CLI: usage errors exit 2 with one line', async () => {
    const io = captureIo();
    expect(await liveWhyCommand([IMAGE, '--live', '--node', 'a', '--pool', 'b'], io)).toBe(2);
    expect(io.err()).toBe('icsp: give one of --node, --pool, --nodes (see icsp why IMAGE --live --help)\n');
  });
});
