// Live checks end to end, as the bot's ServiceAccount with exactly manifests/' RBAC: the bot reads the live
// IDMS, creates its debug pod through the real API server, the fake kubelet runs the pod's real command
// (CHECK_SCRIPT with bash) against real podman and real TLS registries (the podman lab), the log comes back
// through the API server's kubelet proxy, and the bot turns it into one verdict per node. No pod is left.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { ClusterLiveChecker } from '../../src/cluster/live-checker.ts';
import { LivePolicies } from '../../src/cluster/live-policies.ts';
import { liveWhyCommand } from '../../src/cli/live-why-command.ts';
import { CHECK_SCRIPT } from '../../src/domain/debug-pod.ts';
import { acceptPolicyObjects, buildPolicySet } from '../../src/domain/policy-documents.ts';
import { renderPolicies } from '../../src/domain/render.ts';
import { encodeRegistriesConf } from '../../src/domain/registries-toml.ts';
import { HEADER, Lab, MA, MRATE, REPO, SRC } from '../lab/lab.ts';
import { adminConfig, botConfig, clusterInfo } from './cluster-info.ts';
import { toolsImage } from './debug-pod.ts';
import { FakeKubelet } from './fake-kubelet.ts';
import { eventually } from './kube.ts';
import { captureIo, debugPods, writeBotKubeconfig } from './live-helpers.ts';
import { podmanBehaviour } from './podman-behaviour.ts';
import { tempDir } from '../helpers/test-temp-dir.ts';

const NODES = ['live-0', 'live-1'];
const IDMS = { group: 'config.openshift.io', version: 'v1', plural: 'imagedigestmirrorsets' };
const IMAGE = { group: 'config.openshift.io', version: 'v1', plural: 'images' };
const MCP = { group: 'machineconfiguration.openshift.io', version: 'v1', plural: 'machineconfigpools' };
const idmsName = 'live-check-lab';
const poolName = 'live-lab';

let lab: Lab;
let kubelet: FakeKubelet;
let policies: LivePolicies;
let checker: ClusterLiveChecker;
const confDir = tempDir('icsp-live-nodes-');
const nodeConf: Record<string, string> = {};
const argvSeen: Array<{ node: string; argv: string[] }> = [];

const policyObjects = [
  {
    apiVersion: 'config.openshift.io/v1',
    kind: 'ImageDigestMirrorSet',
    metadata: { name: idmsName },
    spec: { imageDigestMirrors: [{ source: `${SRC}/repo`, mirrors: [`${MA}/mirror/repo`] }] },
  },
  { apiVersion: 'config.openshift.io/v1', kind: 'Image', metadata: { name: 'cluster' }, spec: {} },
];

const admin = () => adminConfig().makeApiClient(CustomObjectsApi);
const digestRef = (): string => `${SRC}/${REPO}@${lab.digest}`;

function labImageExists(): boolean {
  return spawnSync('nsenter', lab.nsArgs(['podman', 'image', 'exists', digestRef()]), { timeout: 60_000 }).status === 0;
}

beforeAll(async () => {
  lab = await Lab.start();
  // live-0 has what the MCO renders from the policies; live-1 still has the template (the rollout has not
  // reached it).
  const rendered = renderPolicies(buildPolicySet(acceptPolicyObjects(policyObjects, 'test').objects), {
    requireImageConfig: true,
  });
  nodeConf['live-0'] = join(confDir, 'live-0.conf');
  writeFileSync(
    nodeConf['live-0'],
    encodeRegistriesConf(rendered.unqualifiedSearchRegistries, rendered.registries, '4.19'),
  );
  nodeConf['live-1'] = join(confDir, 'live-1.conf');
  writeFileSync(nodeConf['live-1'], HEADER);

  const info = clusterInfo();
  kubelet = await FakeKubelet.start(adminConfig(), {
    nodes: NODES,
    certFile: info.kubeletCertFile,
    keyFile: info.kubeletKeyFile,
    behaviour: podmanBehaviour(
      lab,
      (node) => nodeConf[node] ?? '/nonexistent',
      (node, argv) => argvSeen.push({ node, argv }),
    ),
  });
  for (const o of policyObjects) {
    const api = o.kind === 'Image' ? IMAGE : IDMS;
    await admin()
      .deleteClusterCustomObject({ ...api, name: o.metadata.name })
      .catch(() => undefined);
    await admin().createClusterCustomObject({ ...api, body: o });
  }
  await admin()
    .deleteClusterCustomObject({ ...MCP, name: poolName })
    .catch(() => undefined);
  await admin().createClusterCustomObject({
    ...MCP,
    body: {
      apiVersion: 'machineconfiguration.openshift.io/v1',
      kind: 'MachineConfigPool',
      metadata: { name: poolName },
      spec: { nodeSelector: { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: NODES }] } },
    },
  });
  policies = new LivePolicies(botConfig(), { resyncMs: 0 });
  await policies.start();
  await eventually(
    async () => (policies.snapshot().policies.idms.some((o) => o.metadata.name === idmsName) ? true : undefined),
    10_000,
    'the IDMS in the live snapshot',
  );
  checker = new ClusterLiveChecker(botConfig(), {
    clusterName: 'test-cluster',
    debugImage: toolsImage,
    policies,
    deadlineSeconds: 90,
  });
  await checker.start();
}, 240_000);

afterAll(async () => {
  await checker?.shutdown();
  policies?.stop();
  await kubelet?.stop();
  for (const o of policyObjects)
    await admin()
      .deleteClusterCustomObject({ ...(o.kind === 'Image' ? IMAGE : IDMS), name: o.metadata.name })
      .catch(() => undefined);
  await admin()
    .deleteClusterCustomObject({ ...MCP, name: poolName })
    .catch(() => undefined);
  await lab?.stop();
}, 120_000);

describe('live check with real podman behind the fake kubelet', () => {
  it(
    'a node with the rendered registries.conf pulls from the IDMS mirror: ' +
      'mirror-hit, no differences, no pod left, node left as found',
    async () => {
      expect(labImageExists()).toBe(false);
      const r = await checker.check({ image: digestRef(), selection: { node: 'live-0' }, requestedBy: 'test' });
      expect(r.cluster).toBe('test-cluster');
      expect(r.plan.verdict.code).toBe('mirror-first');
      expect(r.plan.pullSources[0]).toMatchObject({ location: `${MA}/mirror/repo`, mirror: true });
      expect(r.nodes).toHaveLength(1);
      const n = r.nodes[0]!;
      expect(n.error).toBeUndefined();
      expect(n.verdict.code).toBe('mirror-hit');
      expect(n.verdict.summary).toContain(`mirror ${MA}/mirror/repo served`);
      expect(n.evidence?.served?.reference).toBe(`${MA}/mirror/repo/exampleimage@${lab.digest}`);
      expect(n.evidence?.attempts.map((a) => [a.location, a.outcome])).toEqual([[`${MA}/mirror/repo`, 'served']]);
      expect(n.configDifferences).toEqual([]);
      expect(n.nodeRegistriesConf).toContain('# ==> /etc/containers/registries.conf <==');
      expect(n.nodeRegistriesConf).toContain(`location = "${MA}/mirror/repo"`);
      expect(n.log).toContain('Trying to access');
      expect(n.verdict.reasons).toContain('the image was not on the node before the check and was removed after it');
      // The pod really ran the bot's fixed script, the reference as its own argv element.
      expect(argvSeen.at(-1)).toEqual({
        node: 'live-0',
        argv: ['/bin/bash', '-c', CHECK_SCRIPT, 'icsp-check', digestRef()],
      });
      expect(await debugPods()).toEqual([]);
      expect(labImageExists()).toBe(false);
    },
  );

  it(
    "a short name: the node result says how this node's CRI-O " +
      'resolves it (mode from its CRI-O version and crio.conf)',
    async () => {
      // The fake node reports cri-o://1.33.0 (status.nodeInfo): CRI-O < 1.34 always tries every search registry.
      const r = await checker.check({ image: REPO, selection: { node: 'live-0' }, requestedBy: 'test' });
      expect((r.plan as { shortName?: unknown }).shortName).toMatchObject({ mode: 'disabled' });
      const n = r.nodes[0]!;
      expect(n.shortName).toMatchObject({
        mode: 'disabled',
        error: null,
        candidates: [`registry.access.redhat.com/${REPO}:latest`, `docker.io/${REPO}:latest`],
      });
      expect(n.shortName?.modeSource).toContain('CRI-O 1.33');
      expect(n.verdict.reasons.join('\n')).toContain(`short name ${REPO} on live-0: mode disabled`);
      expect(await debugPods()).toEqual([]);
    },
  );

  it('a node the rollout has not reached never tries the mirror: plan-mismatch naming the missing mirror', async () => {
    const r = await checker.check({ image: digestRef(), selection: { node: 'live-1' }, requestedBy: 'test' });
    const n = r.nodes[0]!;
    expect(n.verdict.code).toBe('plan-mismatch');
    expect(n.verdict.summary).toContain(
      `never tried an expected mirror: node has no [[registry]] ` +
        `for ${SRC}/repo (mirrors ${MA}/mirror/repo (digest-only))`,
    );
    expect(n.verdict.summary).toContain('the rollout has not reached this node');
    expect(n.verdict.reasons.join('\n')).toContain('what the node did: source-fallback');
    expect(n.evidence?.served?.reference).toBe(digestRef());
    expect(n.configDifferences.map((d) => d.kind)).toEqual(['missing-entry']);
    expect(await debugPods()).toEqual([]);
  });

  it('a pool checks its nodes in parallel, one result each', async () => {
    const t0 = Date.now();
    const r = await checker.check({ image: digestRef(), selection: { pool: poolName }, requestedBy: 'test' });
    const wall = Date.now() - t0;
    expect(r.nodes.map((n) => [n.node, n.verdict.code])).toEqual([
      ['live-0', 'mirror-hit'],
      ['live-1', 'plan-mismatch'],
    ]);
    const sum = r.nodes.reduce((s, n) => s + n.durationMs, 0);
    expect(wall).toBeLessThan(sum);
    expect(await debugPods()).toEqual([]);
  });

  it(
    'a source answering 429 without Retry-After keeps podman backing off past the deadline: ' +
      'the verdict is rate-limited (read from the log so far), not "did not finish"',
    async () => {
      // the lab's 429 stand-in as Docker Hub answers its pull limit: every manifest request 429, no Retry-After:
      // containers/image sleeps 2, 4, 8, 16 s between its 5 tries; the check ends at 10 s + 1 s (the fake kubelet
      // leaves activeDeadlineSeconds to the bot's own wait, which is what stops this check)
      await lab.startRateLimited(null);
      const short = new ClusterLiveChecker(botConfig(), {
        clusterName: 'test-cluster',
        debugImage: toolsImage,
        policies,
        deadlineSeconds: 10,
        waitSlackMs: 1000,
        sweepOnStart: false,
      });
      try {
        const image = `${MRATE}/library/exampleimage:latest`;
        const t0 = Date.now();
        const r = await short.check({ image, selection: { node: 'live-0' }, requestedBy: 'test' });
        expect(Date.now() - t0).toBeLessThan(30_000);
        const n = r.nodes[0]!;
        expect(n.verdict.code, n.verdict.summary).toBe('rate-limited');
        expect(n.error).toBeUndefined();
        expect(n.verdict.summary).toMatch(
          new RegExp(
            String.raw`^live-0 is rate-limited by 127\.0\.0\.1:5011: it answered 429 Too Many Requests and podman ` +
              String.raw`was still backing off when the check was stopped \(the check on live-0 did not finish ` +
              String.raw`within 11 s \(deadline 10 s; the check was still running\): the pod was deleted\)$`,
          ),
        );
        expect(n.verdict.reasons.join('\n')).toContain('about 124 s for a rate-limited source');
        expect(n.evidence?.attempts.map((a) => [a.reference, a.outcome])).toEqual([[image, 'rate-limited']]);
        expect(n.evidence?.attempts[0]?.detail).toMatch(/answered 429 Too Many Requests [23] time\(s\)/);
        expect(n.log).toContain('Too many requests to https://127.0.0.1:5011/v2/library/exampleimage/manifests/latest');
        expect(n.nodeRegistriesConf).toContain('# ==> /etc/containers/registries.conf <==');
        expect(await debugPods()).toEqual([]);

        // the CLI with ICSP_DEBUG_DEADLINE_SECONDS=10 (its smallest; stopped at 10 s + 10 s): the verdict, exit 1
        // (the node cannot pull), nothing on stderr (the check did not fail)
        const kubeconfig = writeBotKubeconfig(confDir);
        const io = captureIo({ ICSP_DEBUG_DEADLINE_SECONDS: '10' });
        const code = await liveWhyCommand(
          [image, '--live', '--node', 'live-0', '--kubeconfig', kubeconfig, '--debug-image', toolsImage],
          io,
        );
        expect(io.err()).toBe('');
        expect(code).toBe(1);
        expect(io.out()).toContain('live-0: rate-limited: live-0 is rate-limited by 127.0.0.1:5011');
        expect(await debugPods()).toEqual([]);
      } finally {
        await short.shutdown();
      }
    },
    90_000,
  );

  it(
    "a source behind Quay's nginx rate-limiting /v2: the kubelet's text hides the 429 (can't talk to a V1 " +
      'container registry), the live check reads it from the debug log: rate-limited',
    async () => {
      // Retry-After: 0 keeps the 5 tries back to back; podman then gives up within the deadline
      await lab.startRateLimited('0', 'ping-html');
      const image = `${MRATE}/library/exampleimage:latest`;
      const r = await checker.check({ image, selection: { node: 'live-0' }, requestedBy: 'test' });
      const n = r.nodes[0]!;
      expect(n.error).toBeUndefined();
      expect(n.verdict.code, n.verdict.summary).toBe('rate-limited');
      expect(n.verdict.summary).toMatch(/^live-0 is rate-limited by 127\.0\.0\.1:5011: every candidate failed/);
      expect(n.evidence?.attempts.map((a) => [a.reference, a.outcome])).toEqual([[image, 'rate-limited']]);
      expect(n.evidence?.attempts[0]?.detail).toMatch(
        /^can't talk to a V1 container registry \(the \/v2\/ ping answered 429 Too Many Requests/,
      );
      expect(n.log).toContain('Ping https://127.0.0.1:5011/v2/ status 429');
      expect(await debugPods()).toEqual([]);
    },
    60_000,
  );

  it('icsp why IMAGE --live --node NAME --kubeconfig PATH --json: the same through the CLI, exit 0', async () => {
    const kubeconfig = writeBotKubeconfig(confDir);
    const io = captureIo();
    const code = await liveWhyCommand(
      [digestRef(), '--live', '--node', 'live-0', '--kubeconfig', kubeconfig, '--debug-image', toolsImage, '--json'],
      io,
    );
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    const j = JSON.parse(io.out()) as { cluster: string; nodes: Array<{ node: string; verdict: { code: string } }> };
    expect(j.cluster).toBe('test-cluster');
    expect(j.nodes.map((n) => [n.node, n.verdict.code])).toEqual([['live-0', 'mirror-hit']]);

    io.clear();
    expect(
      await liveWhyCommand(
        [digestRef(), '--live', '--node', 'live-1', '--kubeconfig', kubeconfig, '--debug-image', toolsImage],
        io,
      ),
    ).toBe(0);
    expect(io.out()).toContain(
      `live-1: plan-mismatch: live-1 never tried an expected mirror: node has no [[registry]] for ${SRC}/repo`,
    );

    io.clear();
    expect(
      await liveWhyCommand([digestRef(), '--live', '--node', 'no-such-node', '--kubeconfig', kubeconfig], io),
    ).toBe(2);
    expect(io.err()).toBe('icsp: unknown node no-such-node (oc get nodes lists them)\n');
    expect(await debugPods()).toEqual([]);
  });
});
