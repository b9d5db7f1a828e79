// The triage channel's decisions with fakes for the cluster and Slack: one message per (image, cause), the burst
// grouped and edited in place, resolution in the thread, no duplicate after a restart or a relist, excluded
// namespaces silent, only the leader posts, and the per-channel rate limit with its summary.
import { describe, expect, it } from 'vitest';
import { TriageNotifier } from '../../../src/app/triage-notifier.ts';
import type { TriageNotifierSettings } from '../../../src/app/triage-notifier.ts';
import { emptyTriageState, groupText, recordFailure } from '../../../src/domain/triage/triage-groups.ts';
import type { PullFailure, TriageState } from '../../../src/domain/triage/triage-groups.ts';
import type { ChatMessage, ChatSink, PostedMessage } from '../../../src/ports/chat-sink.ts';
import type { Clock } from '../../../src/ports/clock.ts';
import type {
  KubeletPullEvent,
  PodPullState,
  PullEventSource,
  TriageStateStore,
} from '../../../src/ports/pull-events.ts';

class FakeChat implements ChatSink {
  readonly posts: Array<{ ts: string; text: string }> = [];
  readonly updates: Array<{ ts: string; text: string }> = [];
  readonly replies: Array<{ ts: string; text: string }> = [];
  private n = 0;
  async post(channel: string, m: ChatMessage): Promise<PostedMessage> {
    const ts = `1700000000.${String(++this.n).padStart(6, '0')}`;
    this.posts.push({ ts, text: m.text });
    return { channel, ts };
  }
  async update(_c: string, ts: string, m: ChatMessage): Promise<void> {
    this.updates.push({ ts, text: m.text });
  }
  async reply(channel: string, ts: string, m: ChatMessage): Promise<PostedMessage> {
    this.replies.push({ ts, text: m.text });
    return { channel, ts: `${ts}1` };
  }
}

class FakeEvents implements PullEventSource {
  listener: ((e: KubeletPullEvent) => void) | null = null;
  requests = 0;
  async start(l: (e: KubeletPullEvent) => void): Promise<void> {
    this.listener = l;
  }
  stop(): void {
    this.listener = null;
  }
  emit(e: KubeletPullEvent): void {
    this.listener?.(e);
  }
}

class MemoryTriageStore implements TriageStateStore {
  state: TriageState = emptyTriageState();
  saves = 0;
  async load(): Promise<TriageState> {
    return structuredClone(this.state);
  }
  async save(s: TriageState): Promise<void> {
    this.saves++;
    this.state = structuredClone(s);
  }
}

const clock = (): Clock & { t: number } => {
  const c = { t: 1_000_000, now: () => c.t, setTimeout: () => 0, clearTimeout: () => undefined };
  return c;
};

const SETTINGS: TriageNotifierSettings = {
  channel: 'C0TRIAGE',
  cluster: 'test-cluster',
  includeNamespaces: [],
  excludeNamespaces: ['kube-*', 'noisy'],
  maxPostsPerHour: 3,
  updateIntervalMs: 0,
  tickMs: 500,
  resolveIntervalMs: 1000,
};

const IMG_A = 'quay.io/shop/web@sha256:aaaa';
const IMG_B = 'quay.io/shop/api:1';

function event(ns: string, pod: string, node: string, image: string, cause: string): KubeletPullEvent {
  return {
    namespace: ns,
    pod,
    uid: null,
    container: 'c',
    node,
    reason: 'Failed',
    message: `Failed to pull image "${image}": ${cause}`,
  };
}

function setup(
  opts: {
    leader?: { isLeader: boolean };
    store?: MemoryTriageStore;
    podStates?: Map<string, PodPullState>;
    settings?: Partial<TriageNotifierSettings>;
  } = {},
) {
  const chat = new FakeChat();
  const events = new FakeEvents();
  const store = opts.store ?? new MemoryTriageStore();
  const c = clock();
  const podStates = opts.podStates ?? new Map<string, PodPullState>();
  const n = new TriageNotifier(
    {
      events,
      chat,
      store,
      clock: c,
      classifier: {
        async classify(e) {
          const m = /^Failed to pull image "([^"]+)": (\S+)$/.exec(e.message);
          if (m === null) return null;
          const f: PullFailure = {
            namespace: e.namespace,
            pod: e.pod,
            container: e.container,
            node: e.node,
            image: m[1] ?? '',
            cause: (m[2] ?? 'unknown') as PullFailure['cause'],
            headline: `headline of ${m[2]}`,
            fix: ['do the fix'],
            rolloutLink: m[2] === 'rollout-pending' ? 'https://slack.com/archives/C0ROLLOUT/p1700000000000100' : null,
          };
          return f;
        },
      },
      probe: { state: async (ns, name) => podStates.get(`${ns}/${name}`) ?? 'failing' },
      ...(opts.leader ? { leadership: opts.leader } : {}),
    },
    { ...SETTINGS, ...opts.settings },
  );
  return { n, chat, events, store, clock: c, podStates };
}

describe('the triage channel', () => {
  it('one message per (image, cause); a burst is grouped and the message edited as it grows', async () => {
    const t = setup();
    await t.n.start();
    t.events.emit(event('shop', 'web-1', 'worker-1', IMG_A, 'not-mirrored'));
    t.events.emit(event('shop', 'web-2', 'worker-2', IMG_A, 'not-mirrored'));
    t.events.emit(event('shop', 'api-1', 'worker-1', IMG_B, 'mirror-tls'));
    await t.n.pass();
    expect(t.chat.posts.map((p) => p.text.split('\n')[0])).toEqual([
      ':rotating_light: `quay.io/shop/web@sha256:aaaa` cannot be ' +
        'pulled: *not-mirrored* — 2 pods in 1 namespace, 2 nodes',
      ':rotating_light: `quay.io/shop/api:1` cannot be pulled: *mirror-tls* — 1 pod in 1 namespace, 1 node',
    ]);
    t.events.emit(event('cart', 'web-9', 'worker-3', IMG_A, 'not-mirrored'));
    t.events.emit(event('shop', 'web-1', 'worker-1', IMG_A, 'not-mirrored'));
    await t.n.pass();
    expect(t.chat.posts.length).toBe(2);
    expect(t.chat.updates.map((u) => [u.ts, u.text.split('\n')[0]])).toEqual([
      [
        t.chat.posts[0]?.ts,
        ':rotating_light: `quay.io/shop/web@sha256:aaaa` cannot be ' +
          'pulled: *not-mirrored* — 3 pods in 2 namespaces, 3 nodes',
      ],
    ]);
    expect(t.chat.updates[0]?.text).toContain(
      'namespaces: cart, shop · nodes: worker-1, worker-2, worker-3 · cluster test-cluster',
    );
  });

  it('back-off events join the open group of their image; excluded namespaces stay silent', async () => {
    const t = setup();
    await t.n.start();
    t.events.emit(event('shop', 'web-1', 'worker-1', IMG_A, 'not-mirrored'));
    t.events.emit({
      namespace: 'shop',
      pod: 'web-3',
      uid: null,
      container: 'c',
      node: 'worker-4',
      reason: 'BackOff',
      message: `Back-off pulling image "${IMG_A}"`,
    });
    t.events.emit(event('kube-system', 'x', 'worker-1', 'quay.io/k/x:1', 'mirror-down'));
    t.events.emit(event('noisy', 'y', 'worker-1', 'quay.io/k/y:1', 'mirror-down'));
    await t.n.pass();
    expect(t.chat.posts.length).toBe(1);
    expect(t.chat.posts[0]?.text).toContain('2 pods in 1 namespace, 2 nodes');
  });

  it('resolved in the same thread when the pods pull (or are gone); failing again reopens it there', async () => {
    const t = setup();
    await t.n.start();
    t.events.emit(event('shop', 'web-1', 'worker-1', IMG_A, 'not-mirrored'));
    t.events.emit(event('shop', 'web-2', 'worker-1', IMG_A, 'not-mirrored'));
    await t.n.pass();
    const ts = t.chat.posts[0]?.ts;
    t.podStates.set('shop/web-1', 'pulled');
    t.clock.t += 2000;
    await t.n.pass();
    expect(t.chat.replies).toEqual([]);
    t.podStates.set('shop/web-2', 'gone');
    t.clock.t += 2000;
    await t.n.pass();
    expect(t.chat.replies.map((r) => r.ts)).toEqual([ts]);
    expect(t.chat.replies[0]?.text).toMatch(/^:white_check_mark: resolved: the 2 pod\(s\)/);
    expect(t.chat.updates.at(-1)?.text).toMatch(/^:white_check_mark: \*resolved\*/);
    t.events.emit(event('shop', 'web-5', 'worker-2', IMG_A, 'not-mirrored'));
    await t.n.pass();
    expect(t.chat.posts.length).toBe(1);
    expect(t.chat.replies.at(-1)?.text).toMatch(/^:rotating_light: failing again: shop\/web-5/);
  });

  it("a resolved message stays resolved when a restart or a relist re-delivers its pods' old failures", async () => {
    const store = new MemoryTriageStore();
    const a = setup({ store });
    await a.n.start();
    const failed = { ...event('shop', 'web-1', 'worker-1', IMG_A, 'not-mirrored'), at: a.clock.t - 500 };
    a.events.emit(failed);
    await a.n.pass();
    a.podStates.set('shop/web-1', 'pulled');
    a.clock.t += 2000;
    await a.n.pass();
    expect(a.chat.replies.map((r) => r.text)).toEqual([expect.stringMatching(/^:white_check_mark: resolved/)]);
    // the kubelet's retry pulled; the pod's Failed event stays in the API and comes again (same event, same time)
    a.events.emit(failed);
    await a.n.pass();
    a.n.stop();
    const b = setup({ store });
    b.clock.t = a.clock.t + 60_000;
    await b.n.start();
    b.events.emit(failed);
    await b.n.pass();
    expect([...a.chat.replies.slice(1), ...b.chat.replies, ...b.chat.posts, ...b.chat.updates]).toEqual([]);
    expect(store.state.groups[`not-mirrored ${IMG_A}`]?.resolvedAt).not.toBeNull();
    // the same pod failing again later (the kubelet saw it after the pull): reopened in the thread
    b.events.emit({ ...failed, at: b.clock.t - 100 });
    await b.n.pass();
    expect(b.chat.replies.map((r) => [r.ts, r.text])).toEqual([
      [a.chat.posts[0]?.ts, expect.stringMatching(/^:rotating_light: failing again: shop\/web-1/)],
    ]);
    expect(b.chat.posts).toEqual([]);
  });

  it(
    'never the same cause twice: a restart (state reloaded) and ' + 'a relist of the same events post nothing new',
    async () => {
      const store = new MemoryTriageStore();
      const a = setup({ store });
      await a.n.start();
      a.events.emit(event('shop', 'web-1', 'worker-1', IMG_A, 'not-mirrored'));
      await a.n.pass();
      a.n.stop();
      const b = setup({ store });
      await b.n.start();
      // the relist after a restart or a 410 delivers the same events again
      b.events.emit(event('shop', 'web-1', 'worker-1', IMG_A, 'not-mirrored'));
      await b.n.pass();
      expect(b.chat.posts).toEqual([]);
      expect(b.chat.updates).toEqual([]);
      b.events.emit(event('shop', 'web-2', 'worker-1', IMG_A, 'not-mirrored'));
      await b.n.pass();
      expect(b.chat.posts).toEqual([]);
      expect(b.chat.updates.map((u) => u.ts)).toEqual([a.chat.posts[0]?.ts]);
    },
  );

  it('only the leader posts; a new leader reloads the state first', async () => {
    const store = new MemoryTriageStore();
    const lead = { isLeader: false };
    const t = setup({ store, leader: lead });
    await t.n.start();
    t.events.emit(event('shop', 'web-1', 'worker-1', IMG_A, 'not-mirrored'));
    await t.n.pass();
    expect(t.chat.posts).toEqual([]);
    // meanwhile the other replica said it
    const s = emptyTriageState();
    recordFailure(
      s,
      {
        namespace: 'shop',
        pod: 'web-1',
        container: 'c',
        node: 'worker-1',
        image: IMG_A,
        cause: 'not-mirrored',
        headline: 'h',
        fix: [],
        rolloutLink: null,
      },
      1,
    );
    const g = Object.values(s.groups)[0]!;
    g.ts = '1699999999.000001';
    g.lastText = groupText(g, 'test-cluster');
    store.state = s;
    lead.isLeader = true;
    t.events.emit(event('shop', 'web-1', 'worker-1', IMG_A, 'not-mirrored'));
    await t.n.pass();
    expect(t.chat.posts).toEqual([]);
  });

  it('the rate limit holds back new causes and lists them in one summary, edited as it grows', async () => {
    const t = setup({ settings: { maxPostsPerHour: 2 } });
    await t.n.start();
    for (const i of [1, 2, 3, 4])
      t.events.emit(event('shop', `p${i}`, 'worker-1', `quay.io/shop/img${i}:1`, 'not-mirrored'));
    await t.n.pass();
    // 2 messages within the limit, the summary is the limit's own message (posted even when the limit is reached)
    expect(t.chat.posts.length).toBe(3);
    expect(t.chat.posts[2]?.text).toMatch(/triage rate limit \(2 new messages per hour\) reached: 2 more causes/);
    t.events.emit(event('shop', 'p5', 'worker-1', 'quay.io/shop/img5:1', 'not-mirrored'));
    await t.n.pass();
    expect(t.chat.posts.length).toBe(3);
    expect(t.chat.updates.at(-1)?.text).toMatch(/3 more causes/);
  });

  it('a mirror change still rolling out links its rollout notice', async () => {
    const t = setup();
    await t.n.start();
    t.events.emit(event('shop', 'web-1', 'worker-1', IMG_A, 'rollout-pending'));
    await t.n.pass();
    expect(t.chat.posts[0]?.text).toContain(
      '<https://slack.com/archives/C0ROLLOUT/p1700000000000100|the rollout notice>',
    );
  });
});

describe('causes held back by the rate limit', () => {
  const img = (i: number): string => `quay.io/shop/img${i}:1`;
  const top = (t: ReturnType<typeof setup>): string[] => t.chat.posts.map((p) => p.text.split('\n')[0] ?? '');

  it('one fixed while held leaves the summary, its thread says so, and it is never posted on its own', async () => {
    const t = setup({ settings: { maxPostsPerHour: 2 } });
    await t.n.start();
    for (const i of [1, 2, 3, 4]) t.events.emit(event('shop', `p${i}`, 'worker-1', img(i), 'not-mirrored'));
    await t.n.pass();
    const summary = t.chat.posts[2];
    expect(summary?.text).toMatch(/reached: 2 more causes/);
    // img3's pod pulls while it is held
    t.podStates.set('shop/p3', 'pulled');
    t.clock.t += 2000;
    await t.n.pass();
    expect(t.chat.replies).toEqual([{ ts: summary?.ts, text: expect.any(String) }]);
    expect(t.chat.replies[0]?.text.split('\n')).toEqual([
      expect.stringMatching(/^:white_check_mark: resolved while held back by the rate limit/),
      '• `quay.io/shop/img3:1` (not-mirrored): the 1 pod(s) pull now or are gone',
    ]);
    expect(t.chat.updates.at(-1)).toEqual({ ts: summary?.ts, text: expect.stringMatching(/reached: 1 more cause/) });
    expect(t.chat.updates.at(-1)?.text).not.toContain(img(3));
    // an hour later the limit lets two more through: img4 (still failing) is posted, img3 never
    t.clock.t += 3600_000;
    await t.n.pass();
    expect(top(t).filter((l) => l.includes(img(4)))).toHaveLength(1);
    expect(top(t).filter((l) => l.includes(img(3)))).toEqual([]);
    expect(t.chat.updates.at(-1)?.text).toMatch(/held nothing back any more/);
    // nothing more is said about img3
    t.clock.t += 2000;
    await t.n.pass();
    expect(t.chat.replies).toHaveLength(1);
  });

  it('one fixed just before the limit would post it is dropped (checked first), the next one is posted', async () => {
    const t = setup({ settings: { maxPostsPerHour: 1 } });
    await t.n.start();
    for (const i of [1, 2, 3]) t.events.emit(event('shop', `p${i}`, 'worker-1', img(i), 'not-mirrored'));
    await t.n.pass();
    expect(top(t)).toHaveLength(2); // img1 and the summary
    t.podStates.set('shop/p2', 'gone');
    t.clock.t += 3600_000; // the limit lets one through: img2 first (the oldest), which is fixed by now
    await t.n.pass();
    expect(top(t).filter((l) => l.includes(img(2)))).toEqual([]);
    expect(t.chat.replies.map((r) => r.text)).toEqual([expect.stringContaining(`\`${img(2)}\``)]);
    // img3 takes the slot once the check read it (next pass with a check)
    t.clock.t += 2000;
    await t.n.pass();
    expect(top(t).filter((l) => l.includes(img(3)))).toHaveLength(1);
  });

  it('a fixed held cause is dropped silently when no summary was ever posted (nobody saw it)', async () => {
    const t = setup({ settings: { maxPostsPerHour: 1 } });
    let failSummary = true;
    const post = t.chat.post.bind(t.chat);
    t.chat.post = async (c, m) => {
      if (failSummary && m.text.includes('triage rate limit')) throw new Error('slack down');
      return post(c, m);
    };
    await t.n.start();
    for (const i of [1, 2]) t.events.emit(event('shop', `p${i}`, 'worker-1', img(i), 'not-mirrored'));
    await t.n.pass();
    expect(top(t)).toHaveLength(1); // img1; the summary's post failed
    t.podStates.set('shop/p2', 'pulled');
    failSummary = false;
    t.clock.t += 2000;
    await t.n.pass();
    expect(t.chat.replies).toEqual([]);
    expect(top(t).join('\n')).not.toContain(img(2));
    t.clock.t += 3600_000;
    await t.n.pass();
    expect(top(t).join('\n')).not.toContain(img(2));
  });
});
