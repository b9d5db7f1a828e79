// The triage channel on the real API server, as the bot: the fake kubelet fails pulls with errors from real
// podman runs and emits the kubelet's events; the bot's field-selected event watch, its classifier (the node's
// rendered registries.conf), the ConfigMap state and a Slack recording server. One message per cause, the burst
// grouped and edited, resolution in the thread, no duplicate after a restart or a watch expiry (410), an excluded
// namespace silent, and the event-to-message latency. A cause held back by the rate limit whose pod then pulls:
// the summary's thread says so and the cause is never posted on its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { createTriageChannel } from '../../src/composition/triage-notifier.ts';
import type { TriageChannel, TriageChannelSettings } from '../../src/composition/triage-notifier.ts';
import { explain } from '../../src/domain/explain.ts';
import { parseRegistriesConf } from '../../src/domain/registries-conf.ts';
import { SlackChatSink } from '../../src/slack/chat-sink.ts';
import { RecordingServer } from '../slack/helpers/recording-server.ts';
import { adminConfig, botConfig, clusterInfo } from './cluster-info.ts';
import { FakeKubelet } from './fake-kubelet.ts';
import { ExpiringProxy } from './rollout-proxy.ts';
import { createNamespace, eventually, uniqueName } from './kube.ts';
import { corpusCase, createRenderedConfig, mcoAnnotations } from './triage-node.ts';
import type { CorpusCase } from './triage-node.ts';

const CHANNEL = 'C0TRIAGE';
const NODES = ['triage-ch-0', 'triage-ch-1'];
const RENDERED = `rendered-worker-${'0f1e2d3c4b5a6978'.repeat(2)}`;

const corpus = (name: string): CorpusCase => corpusCase(name);

const rec = new RecordingServer();
let kubelet: FakeKubelet;
const nsA = uniqueName('tri-a');
const nsB = uniqueName('tri-b');
const nsX = uniqueName('tri-excluded');
const nsH = uniqueName('tri-held');
const stateConfigMap = uniqueName('triage-state');
const channels: TriageChannel[] = [];

const notices = () =>
  rec.callsOf('chat.postMessage').filter((c) => c.params.thread_ts === undefined && c.params.channel === CHANNEL);
const replies = (ts: string) => rec.callsOf('chat.postMessage').filter((c) => c.params.thread_ts === ts);
const text = (c: { params: Record<string, unknown> }): string => String(c.params.text);
/** The latest text (post or edit) of the notice about `image` and `cause`; ts once it has been edited. */
function latest(image: string, cause: string): { ts: string | undefined; text: string } | undefined {
  const about = (c: { params: Record<string, unknown> }): boolean =>
    (text(c).split('\n')[0] ?? '').includes(`\`${image}\``) && text(c).includes(cause);
  const all = [...notices(), ...rec.callsOf('chat.update')].filter(about).sort((a, b) => a.at - b.at);
  const last = all.at(-1);
  if (last === undefined) return undefined;
  return { ts: last.method === 'chat.update' ? String(last.params.ts) : undefined, text: text(last) };
}

async function startChannel(
  extra: Partial<TriageChannelSettings> = {},
  kc: KubeConfig = botConfig(),
): Promise<TriageChannel> {
  const chat = new SlackChatSink({
    token: 'xoxb-test-token',
    apiUrl: rec.apiUrl,
    retry: { retries: 2, maxRetryAfterMs: 2000 },
  });
  const empty = parseRegistriesConf('', [], 'policies');
  const t = createTriageChannel(
    kc,
    chat,
    {
      channel: CHANNEL,
      cluster: 'test-cluster',
      includeNamespaces: [nsA, nsB, nsX],
      excludeNamespaces: [nsX],
      maxPostsPerHour: 20,
      updateIntervalMs: 0,
      tickMs: 200,
      resolveIntervalMs: 500,
      namespace: 'icsp-bot',
      stateConfigMap,
      lease: null,
      rolloutChannel: null,
      ...extra,
    },
    async (image) => explain({ reference: image, conf: empty }),
  );
  await t.start();
  channels.push(t);
  return t;
}

async function failingPod(ns: string, name: string, scenario: string, node: string): Promise<number> {
  const c = corpus(scenario);
  kubelet.behave(ns, name, () => ({ imagePullError: c.waiting, pullEvent: c.failed }));
  const at = Date.now();
  await adminConfig()
    .makeApiClient(CoreV1Api)
    .createNamespacedPod({
      namespace: ns,
      body: { metadata: { name }, spec: { nodeName: node, containers: [{ name: 'web', image: c.image }] } },
    });
  return at;
}

beforeAll(async () => {
  await rec.start();
  const info = clusterInfo();
  const admin = adminConfig();
  await createRenderedConfig(admin, RENDERED, corpus('x509').registriesConf).catch(() => undefined);
  const annotations = mcoAnnotations(RENDERED);
  kubelet = await FakeKubelet.start(admin, {
    nodes: NODES,
    certFile: info.kubeletCertFile,
    keyFile: info.kubeletKeyFile,
    backOffDelayMs: 200,
    nodeMetadata: Object.fromEntries(NODES.map((n) => [n, { annotations }])),
  });
  for (const ns of [nsA, nsB, nsX, nsH])
    await createNamespace(admin, ns, { 'pod-security.kubernetes.io/enforce': 'privileged' });
}, 60_000);

afterAll(async () => {
  for (const c of channels) await c.stop();
  await kubelet?.stop();
  await rec.stop();
  // cluster-scoped: other files (rbac) expect none left behind
  await adminConfig()
    .makeApiClient(CustomObjectsApi)
    .deleteClusterCustomObject({
      group: 'machineconfiguration.openshift.io',
      version: 'v1',
      plural: 'machineconfigs',
      name: RENDERED,
    })
    .catch(() => undefined);
});

describe('the triage channel, on the real API server as the bot', () => {
  const x509 = corpus('x509');
  const down = corpus('registry-down');
  const short = corpus('short-name-ambiguous');
  const latencies: number[] = [];

  it('one message per cause, a burst grouped, within seconds; an excluded namespace stays silent', async () => {
    await startChannel();
    const t0 = await failingPod(nsA, 'web-1', 'x509', NODES[0]!);
    await eventually(
      async () => (latest(x509.image, 'mirror-tls') !== undefined ? true : undefined),
      10_000,
      'the x509 notice',
    );
    latencies.push(Date.now() - t0);
    await failingPod(nsB, 'web-2', 'x509', NODES[1]!);
    await failingPod(nsA, 'api-1', 'registry-down', NODES[0]!);
    await failingPod(nsA, 'tool-1', 'short-name-ambiguous', NODES[1]!);
    await failingPod(nsX, 'web-x', 'x509', NODES[0]!);
    // the other main causes, each from its real podman error
    const more: [string, string][] = [
      ['not-mirrored', 'not-mirrored'],
      ['unauthorized', 'mirror-unauthorized'],
      ['mirror-down', 'mirror-down'],
      ['tag-pull-blocked-source', 'tag-pull-digest-only-mirror'],
      ['blocked-source', 'source-blocked'],
    ];
    for (const [i, [scenario]] of more.entries()) await failingPod(nsA, `more-${i}`, scenario, NODES[0]!);
    await eventually(
      async () =>
        latest(x509.image, 'mirror-tls')?.text.includes('2 pods in 2 namespaces, 2 nodes') &&
        latest(down.image, 'source-unreachable') !== undefined &&
        latest(short.image, 'short-name-ambiguous') !== undefined &&
        more.every(([scenario, cause]) => latest(corpus(scenario).image, cause) !== undefined)
          ? true
          : undefined,
      20_000,
      'eight causes',
    );
    expect(notices().length).toBe(8);
    expect(notices().map(text).join('\n')).not.toContain(nsX);
    expect(latest(x509.image, 'mirror-tls')?.text).toContain('additionalTrustedCA');
    expect(latencies[0]).toBeLessThan(5_000);
  }, 60_000);

  it('the message is edited in place as the burst grows', async () => {
    await failingPod(nsB, 'web-3', 'x509', NODES[1]!);
    await eventually(
      async () =>
        latest(x509.image, 'mirror-tls')?.text.includes('3 pods in 2 namespaces, 2 nodes') ? true : undefined,
      10_000,
      'the edit',
    );
    expect(notices().length).toBe(8);
  }, 30_000);

  it('resolved in the same thread when the pods pull (here: are gone)', async () => {
    await adminConfig()
      .makeApiClient(CoreV1Api)
      .deleteNamespacedPod({ namespace: nsA, name: 'api-1', gracePeriodSeconds: 0 });
    await eventually(
      async () =>
        latest(down.image, 'source-unreachable')?.text.startsWith(':white_check_mark: *resolved*') ? true : undefined,
      10_000,
      'the resolved header',
    );
    const ts = latest(down.image, 'source-unreachable')?.ts ?? '';
    await eventually(
      async () => (replies(ts).some((r) => text(r).includes('resolved')) ? true : undefined),
      5_000,
      'the resolution in the thread',
    );
  }, 30_000);

  it("resolved in the same thread when the kubelet's retry pulls (Pulled event, container Running)", async () => {
    const image = corpus('not-mirrored').image;
    const about = (c: { params: Record<string, unknown> }): boolean => text(c).includes(`\`${image}\``);
    expect(latest(image, 'not-mirrored')?.text).not.toMatch(/resolved/);
    await kubelet.pullSucceeds(nsA, 'more-0');
    const pod = await adminConfig().makeApiClient(CoreV1Api).readNamespacedPod({ namespace: nsA, name: 'more-0' });
    expect(pod.status?.containerStatuses?.[0]?.state?.running).toBeDefined();
    await eventually(
      async () => (latest(image, 'not-mirrored')?.text.startsWith(':white_check_mark: *resolved*') ? true : undefined),
      10_000,
      'the resolved header',
    );
    const ts = latest(image, 'not-mirrored')?.ts ?? '';
    await eventually(
      async () => (replies(ts).some((r) => text(r).includes('resolved')) ? true : undefined),
      5_000,
      'the resolution in the thread',
    );
    // no duplicate afterwards: the pod's Failed events are still in the API, and nothing is said again
    await new Promise((r) => setTimeout(r, 1500));
    expect(replies(ts).map(text)).toEqual([expect.stringContaining(':white_check_mark: resolved')]);
    expect(notices().filter(about)).toHaveLength(1);
    expect(latest(image, 'not-mirrored')?.text).toMatch(/^:white_check_mark: \*resolved\*/);
  }, 30_000);

  it('no duplicate after a restart, nor after a watch expiry (410) relists every event', async () => {
    for (const c of channels.splice(0)) await c.stop();
    const before = notices().length;
    const restarted = await startChannel();
    await new Promise((r) => setTimeout(r, 1500));
    expect(notices().length).toBe(before);
    // the listed events worked through, the list's garbage is given back (src/runtime/heap-trim.ts)
    await eventually(async () => (restarted.heap.trims >= 1 ? true : undefined), 10_000, 'a heap trim after the list');
    await restarted.stop();
    // the API server ends the event watches with ERROR 410 Expired (through a proxy): a relist of every event
    const info = clusterInfo();
    const proxy = new ExpiringProxy(info.apiServerURL, info.caFile);
    await proxy.start();
    try {
      const expired = await startChannel({}, proxy.kubeConfig(info.botToken));
      await eventually(async () => (proxy.openWatches('/events') >= 3 ? true : undefined), 10_000, 'the event watches');
      proxy.expire('/events');
      await eventually(async () => (expired.events.relists >= 3 ? true : undefined), 10_000, 'a relist after 410');
      await new Promise((r) => setTimeout(r, 1500));
      expect(notices().length).toBe(before);
    } finally {
      for (const c of channels.splice(0)) await c.stop();
      await proxy.stop();
    }
    await startChannel();
    await new Promise((r) => setTimeout(r, 1500));
    expect(notices().length).toBe(before);
    await failingPod(nsA, 'web-4', 'x509', NODES[0]!);
    await eventually(
      async () =>
        latest(x509.image, 'mirror-tls')?.text.includes('4 pods in 2 namespaces, 2 nodes') ? true : undefined,
      10_000,
      'the edit after the restart',
    );
    expect(notices().length).toBe(before);
    // the resolved messages stay resolved: the restarts and the relist re-delivered their pods' old Failed events
    expect(
      rec
        .callsOf('chat.postMessage')
        .filter((c) => text(c).includes('failing again'))
        .map(text),
    ).toEqual([]);
    expect(latest(down.image, 'source-unreachable')?.text).toMatch(/^:white_check_mark: \*resolved\*/);
    expect(latest(corpus('not-mirrored').image, 'not-mirrored')?.text).toMatch(/^:white_check_mark: \*resolved\*/);
  }, 60_000);
});

describe('a cause held back by the rate limit, on the real API server as the bot', () => {
  const HELD_CHANNEL = 'C0TRIAGEHELD';
  const top = () =>
    rec
      .callsOf('chat.postMessage')
      .filter((c) => c.params.thread_ts === undefined && c.params.channel === HELD_CHANNEL);
  const summaryPost = () => top().find((c) => text(c).includes('triage rate limit'));

  it("is checked: the kubelet's retry pulls, the summary's thread says so, and it is never posted", async () => {
    const posted = corpus('x509');
    const held = corpus('not-mirrored');
    await startChannel({
      channel: HELD_CHANNEL,
      includeNamespaces: [nsH],
      excludeNamespaces: [],
      maxPostsPerHour: 1,
      stateConfigMap: uniqueName('triage-held-state'),
    });
    await failingPod(nsH, 'first', 'x509', NODES[0]!);
    await eventually(
      async () => (top().some((c) => text(c).includes(`\`${posted.image}\``)) ? true : undefined),
      10_000,
      'the first cause posted',
    );
    await failingPod(nsH, 'second', 'not-mirrored', NODES[1]!);
    await eventually(async () => summaryPost(), 10_000, 'the rate limit summary');
    expect(text(summaryPost()!)).toContain(`\`${held.image}\` — not-mirrored, 1 pod`);
    // the mirror is fixed: the kubelet's next retry pulls (Pulling/Pulled events, the container Running)
    await kubelet.pullSucceeds(nsH, 'second');
    const resolution = await eventually(
      async () =>
        rec
          .callsOf('chat.postMessage')
          .find((c) => c.params.channel === HELD_CHANNEL && c.params.thread_ts !== undefined),
      10_000,
      'the resolution in a thread',
    );
    expect(text(resolution)).toMatch(/^:white_check_mark: resolved while held back by the rate limit/);
    expect(text(resolution)).toContain(`\`${held.image}\` (not-mirrored): the 1 pod(s) pull now`);
    // that thread is the summary's: the summary (edited at that ts) no longer lists the cause
    const summaryTs = String(resolution.params.thread_ts);
    await eventually(
      async () =>
        rec
          .callsOf('chat.update')
          .filter((c) => c.params.ts === summaryTs)
          .some((c) => text(c).includes('held nothing back any more'))
          ? true
          : undefined,
      5_000,
      'the summary edited',
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(top().filter((c) => (text(c).split('\n')[0] ?? '').includes(held.image))).toEqual([]);
    expect(replies(summaryTs)).toHaveLength(1);
  }, 60_000);
});
