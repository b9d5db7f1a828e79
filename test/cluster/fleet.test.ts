// One bot, two real clusters: the shared control plane of the suite ("prod-east") and a second one started here
// ("prod-west"), each prepared like an installed cluster, plus a third name whose API server does not exist
// ("prod-gone"). The real bot process (src/main.ts) gets them as a directory of kubeconfigs of its ServiceAccount
// (ICSP_KUBECONFIGS, as a mounted Secret) and answers `cluster=NAME`, `cluster=all` and `status cluster=all`; its
// triage channel watches every cluster at once and names the cluster a pod fails in.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { RecordingServer } from '../slack/helpers/recording-server.ts';
import { BOT_TOKEN, commandForm, postSigned, SIGNING_SECRET } from '../slack/helpers/slack-fixtures.ts';
import { freePort } from '../slack/helpers/proxy-env.ts';
import { adminConfig, clusterInfo } from './cluster-info.ts';
import { startControlPlane } from './control-plane.ts';
import type { ControlPlane } from './control-plane.ts';
import { adminKubeConfig, createNamespace, tokenKubeConfig, uniqueName } from './kube.ts';
import { prepareCluster } from './prepare-cluster.ts';
import type { ClusterInfo } from './cluster-info.ts';
import { FakeKubelet } from './fake-kubelet.ts';
import { corpusCase, createRenderedConfig, deleteRenderedConfig, mcoAnnotations } from './triage-node.ts';
import { tempDir } from '../helpers/test-temp-dir.ts';

const repo = uniqueName('fleet');
const IMAGE = `quay.io/${repo}/app@sha256:${'a'.repeat(64)}`;
const rec = new RecordingServer();
let west: ControlPlane;
let westInfo: ClusterInfo;
let dir: string;
let bot: { output(): string; stop(): Promise<number | null> };
let port: number;
const TRIAGE_CHANNEL = 'C0FLEETTRIAGE';
/** The only namespace the triage channel watches (in each cluster): the shared one holds other files' failures. */
const triageNs = uniqueName('fleet-tri');
const RENDERED = `rendered-worker-${'f1ee7a0b1c2d3e4f'.repeat(2)}`;
const kubelets: FakeKubelet[] = [];

const IMAGES = { group: 'config.openshift.io', version: 'v1', plural: 'images' };
/** Without image.config.openshift.io/cluster the MCO renders nothing (P18): both clusters have one. */
const imageCluster = { apiVersion: 'config.openshift.io/v1', kind: 'Image', metadata: { name: 'cluster' }, spec: {} };
let createdEastImage = false;

function idms(name: string, mirror: string): object {
  return {
    apiVersion: 'config.openshift.io/v1',
    kind: 'ImageDigestMirrorSet',
    metadata: { name },
    spec: { imageDigestMirrors: [{ source: `quay.io/${repo}`, mirrors: [mirror] }] },
  };
}

async function ask(text: string, id: string): Promise<void> {
  const r = await postSigned(
    port,
    commandForm({ text, responseUrl: rec.responseUrl(id) }),
    'application/x-www-form-urlencoded',
  );
  expect(r.status).toBe(200);
}

beforeAll(async () => {
  west = await startControlPlane({ minRequestTimeoutSeconds: 1800, logName: 'controlplane-fleet.log' });
  westInfo = await prepareCluster(west);
  const east = clusterInfo();
  createdEastImage = await adminConfig()
    .makeApiClient(CustomObjectsApi)
    .createClusterCustomObject({ ...IMAGES, body: imageCluster })
    .then(
      () => true,
      () => false,
    );
  await adminKubeConfig(westInfo)
    .makeApiClient(CustomObjectsApi)
    .createClusterCustomObject({ ...IMAGES, body: imageCluster });
  await adminConfig()
    .makeApiClient(CustomObjectsApi)
    .createClusterCustomObject({
      group: 'config.openshift.io',
      version: 'v1',
      plural: 'imagedigestmirrorsets',
      body: idms(repo, 'mirror.east.example/fleet'),
    });
  await adminKubeConfig(westInfo)
    .makeApiClient(CustomObjectsApi)
    .createClusterCustomObject({
      group: 'config.openshift.io',
      version: 'v1',
      plural: 'imagedigestmirrorsets',
      body: idms(repo, 'mirror.west.example/fleet'),
    });
  // A Secret of kubeconfigs, one key per cluster, as the Deployment mounts it.
  dir = tempDir('icsp-fleet-');
  writeFileSync(join(dir, 'prod-east'), tokenKubeConfig(east, east.botToken, 'icsp-bot').exportConfig());
  writeFileSync(join(dir, 'prod-west'), tokenKubeConfig(westInfo, westInfo.botToken, 'icsp-bot').exportConfig());
  const gone = tokenKubeConfig(east, east.botToken, 'icsp-bot');
  gone.clusters[0] = { ...gone.clusters[0]!, server: `https://127.0.0.1:${await freePort()}` };
  writeFileSync(join(dir, 'prod-gone'), gone.exportConfig());
  await rec.start();
  port = await freePort();
  const child = spawn(process.execPath, ['src/main.ts'], {
    env: {
      PATH: process.env['PATH'] ?? '',
      ICSP_KUBECONFIGS: dir,
      SLACK_MODE: 'http',
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: rec.apiUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      ICSP_METRICS_PORT: '0',
      ICSP_METRICS_HOST: '127.0.0.1',
      ICSP_FLEET_CONNECT_TIMEOUT_SECONDS: '3',
      // Rollout notices per cluster: state and Lease in each cluster, under names no other test file uses.
      ICSP_NOTIFY_CHANNEL: 'C0FLEET',
      ICSP_COALESCE_SECONDS: '1',
      ICSP_STATE_CONFIGMAP: 'icsp-bot-fleet-test',
      ICSP_LEASE_NAME: 'icsp-bot-fleet-test',
      POD_NAME: 'icsp-bot-fleet-test',
      POD_NAMESPACE: 'icsp-bot',
      // The triage channel, one event watch per cluster (state and Lease: the rollout notices' in each cluster).
      ICSP_TRIAGE_CHANNEL: TRIAGE_CHANNEL,
      ICSP_TRIAGE_NAMESPACES: triageNs,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += String(d)));
  child.stderr.on('data', (d) => (out += String(d)));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  bot = { output: () => out, stop: async () => (child.exitCode === null && child.kill('SIGTERM'), exited) };
  const deadline = Date.now() + 30_000;
  while (!out.includes('icsp-bot started')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the bot did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 180_000);

afterAll(async () => {
  if (bot !== undefined) expect(await bot.stop()).toBe(0);
  for (const k of kubelets) await k.stop();
  await deleteRenderedConfig(adminConfig(), RENDERED);
  await rec.stop();
  await adminConfig()
    .makeApiClient(CustomObjectsApi)
    .deleteClusterCustomObject({
      group: 'config.openshift.io',
      version: 'v1',
      plural: 'imagedigestmirrorsets',
      name: repo,
    })
    .catch(() => undefined);
  if (createdEastImage)
    await adminConfig()
      .makeApiClient(CustomObjectsApi)
      .deleteClusterCustomObject({ ...IMAGES, name: 'cluster' })
      .catch(() => undefined);
  await west?.stop();
}, 60_000);

describe('one bot for a fleet (ICSP_KUBECONFIGS)', () => {
  it(
    'cluster=all: one anchor with a line per cluster, each ' +
      "cluster's plan in the thread, the unreachable one named",
    async () => {
      rec.reset();
      await ask(`why ${IMAGE} cluster=all`, 'all');
      await rec.waitFor(() => rec.callsOf('chat.postMessage').length >= 3, 20_000);
      const [anchor, ...thread] = rec.callsOf('chat.postMessage');
      const text = String(anchor!.params.text);
      expect(text).toContain('3 clusters');
      expect(text).toMatch(/prod-east: `mirror-first`/);
      expect(text).toMatch(/prod-west: `mirror-first`/);
      expect(text).toMatch(/prod-gone: unreachable/);
      expect(anchor!.params.thread_ts).toBeUndefined();
      const plans = thread.map((p) => JSON.stringify(p.params));
      expect(thread.every((p) => p.params.thread_ts !== undefined)).toBe(true);
      expect(plans.some((p) => p.includes('mirror.east.example/fleet') && p.includes('prod-east'))).toBe(true);
      expect(plans.some((p) => p.includes('mirror.west.example/fleet') && p.includes('prod-west'))).toBe(true);
    },
  );

  it('cluster=NAME answers from that cluster only; no cluster= asks which; an unknown one is named', async () => {
    rec.reset();
    await ask(`why ${IMAGE} cluster=prod-west --no-live`, 'west');
    await rec.waitFor(() => rec.callsOf('chat.postMessage').length >= 2, 20_000);
    const all = JSON.stringify(rec.callsOf('chat.postMessage').map((c) => c.params));
    expect(all).toContain('mirror.west.example/fleet');
    expect(all).not.toContain('mirror.east.example/fleet');
    expect(all).toContain('prod-west');

    rec.reset();
    await ask(`why ${IMAGE}`, 'none');
    await rec.waitFor(() => rec.responses.length >= 1, 10_000);
    expect(rec.responses[0]!.body.text).toContain(
      'this bot serves 3 clusters (prod-east, prod-gone, prod-west): add cluster=NAME or cluster=all',
    );

    rec.reset();
    await ask(`why ${IMAGE} cluster=prod-north`, 'north');
    await rec.waitFor(() => rec.responses.length >= 1, 10_000);
    expect(rec.responses[0]!.body.text).toContain(
      'unknown cluster "prod-north": this bot serves prod-east, prod-gone, prod-west',
    );
  });

  it("status cluster=all: each cluster's pools, the unreachable one with its reason", async () => {
    rec.reset();
    await ask('status cluster=all', 'status');
    await rec.waitFor(() => rec.responses.length >= 1, 20_000);
    const text = String(rec.responses[0]!.body.text);
    expect(text).toMatch(/\*prod-east\*/);
    expect(text).toMatch(/\*prod-west\*/);
    expect(text).toMatch(/\*prod-gone\*: unreachable/);
  });

  it('a mirror change in one cluster: a rollout notice in the channel that names that cluster', async () => {
    rec.reset();
    await adminKubeConfig(westInfo)
      .makeApiClient(CustomObjectsApi)
      .createClusterCustomObject({
        group: 'config.openshift.io',
        version: 'v1',
        plural: 'imagedigestmirrorsets',
        body: idms(`${repo}-change`, 'mirror2.west.example/fleet'),
      });
    await rec.waitFor(() => rec.callsOf('chat.postMessage').some((c) => c.params.channel === 'C0FLEET'), 30_000);
    const notice = rec.callsOf('chat.postMessage').find((c) => c.params.channel === 'C0FLEET')!;
    expect(String(notice.params.text)).toContain('prod-west');
    expect(String(notice.params.text)).not.toContain('prod-east');
  });

  it('why pod NS/NAME cluster=prod-west reads the pod from that cluster', async () => {
    const west = adminKubeConfig(westInfo).makeApiClient(CoreV1Api);
    await createNamespace(adminKubeConfig(westInfo), 'fleet-apps', {
      'pod-security.kubernetes.io/enforce': 'baseline',
    });
    await west.createNamespacedPod({
      namespace: 'fleet-apps',
      body: { metadata: { name: 'web' }, spec: { containers: [{ name: 'web', image: IMAGE }] } },
    });
    rec.reset();
    await ask('why pod fleet-apps/web cluster=prod-west', 'pod');
    await rec.waitFor(() => rec.callsOf('chat.postMessage').length + rec.responses.length >= 1, 20_000);
    const said = JSON.stringify([
      ...rec.callsOf('chat.postMessage').map((c) => c.params),
      ...rec.responses.map((r) => r.body),
    ]);
    expect(said).toContain('prod-west');
    expect(said).toContain('fleet-apps/web');
    expect(said).not.toContain('not found');
  });

  it('triage channel: a pull failure in one cluster is one message naming it, none from the other', async () => {
    const x509 = corpusCase('x509');
    const clusters = { 'prod-west': adminKubeConfig(westInfo), 'prod-east': adminConfig() };
    // each cluster: a node as the MCO leaves it (annotations naming its rendered config) and that rendered config
    // with the lab's registries.conf, so the classifier judges the event against the node's own plan
    for (const [name, kc] of Object.entries(clusters)) {
      await createRenderedConfig(kc, RENDERED, x509.registriesConf);
      const node = `${name}-worker-0`;
      const info = name === 'prod-west' ? westInfo : clusterInfo();
      kubelets.push(
        await FakeKubelet.start(kc, {
          nodes: [node],
          certFile: info.kubeletCertFile,
          keyFile: info.kubeletKeyFile,
          backOffDelayMs: 200,
          nodeMetadata: { [node]: { annotations: mcoAnnotations(RENDERED) } },
        }),
      );
      await createNamespace(kc, triageNs, { 'pod-security.kubernetes.io/enforce': 'baseline' });
    }
    const [westKubelet, eastKubelet] = kubelets as [FakeKubelet, FakeKubelet];
    const fail = async (kubelet: FakeKubelet, cluster: keyof typeof clusters, pod: string): Promise<void> => {
      kubelet.behave(triageNs, pod, () => ({ imagePullError: x509.waiting, pullEvent: x509.failed }));
      await clusters[cluster].makeApiClient(CoreV1Api).createNamespacedPod({
        namespace: triageNs,
        body: {
          metadata: { name: pod },
          spec: { nodeName: `${cluster}-worker-0`, containers: [{ name: 'web', image: x509.image }] },
        },
      });
    };
    const triage = () => rec.callsOf('chat.postMessage').filter((c) => c.params.channel === TRIAGE_CHANNEL);
    const edits = () => rec.callsOf('chat.update').filter((c) => c.params.channel === TRIAGE_CHANNEL);
    rec.reset();
    await fail(westKubelet, 'prod-west', 'web-1');
    await rec.waitFor(() => triage().length >= 1, 20_000);
    // both clusters' watches run: nothing else comes, from either
    await new Promise((r) => setTimeout(r, 2_000));
    expect(triage()).toHaveLength(1);
    const west = String(triage()[0]!.params.text);
    expect(west.split('\n')[0]).toBe(
      `:rotating_light: \`${x509.image}\` cannot be pulled: *mirror-tls* — 1 pod in 1 namespace, 1 node`,
    );
    expect(west).toContain('additionalTrustedCA');
    expect(west).toMatch(new RegExp(`nodes: prod-west-worker-0 · cluster prod-west$`, 'm'));
    expect(west).not.toContain('prod-east');

    // the same failure in the other cluster: a message of its own that names it; the first is not edited with it
    await fail(eastKubelet, 'prod-east', 'web-1');
    await rec.waitFor(() => triage().length >= 2, 20_000);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(triage()).toHaveLength(2);
    const east = String(triage()[1]!.params.text);
    expect(east.split('\n')[0]).toBe(west.split('\n')[0]);
    expect(east).toMatch(new RegExp(`nodes: prod-east-worker-0 · cluster prod-east$`, 'm'));
    expect(east).not.toContain('prod-west');
    expect(
      edits()
        .map((c) => String(c.params.text))
        .filter((t) => t.includes('2 pods')),
    ).toEqual([]);
  }, 90_000);

  it('the bot log names the unreachable cluster and never a token', () => {
    expect(bot.output()).toContain('"cluster":"prod-gone"');
    expect(bot.output()).not.toContain(clusterInfo().botToken);
    expect(bot.output()).not.toContain(westInfo.botToken);
  });
});
