// The triage channel at a large cluster's scale (bench/triage-scale-bench.ts measures it on the control plane):
// the resolution check reads one pod per open group while the cause is not fixed, whatever the group's size, and
// the event source can wait for room in the queue, so a 50,000-event list drops nothing, and the stored state of
// 10,000 failing pods fits its ConfigMap.
import { describe, expect, it } from 'vitest';
import { TriageNotifier } from '../../../src/app/triage-notifier.ts';
import { storedTriageText } from '../../../src/cluster/triage-state-store.ts';
import { emptyTriageState, groupCounts, recordFailure } from '../../../src/domain/triage/triage-groups.ts';
import type { TriageState } from '../../../src/domain/triage/triage-groups.ts';
import type { KubeletPullEvent, PodPullState } from '../../../src/ports/pull-events.ts';

function event(pod: string, image = 'quay.io/shop/web:1'): KubeletPullEvent {
  return {
    namespace: 'shop',
    pod,
    uid: null,
    container: 'c',
    node: 'worker-1',
    reason: 'Failed',
    message: `Failed to pull image "${image}": not-mirrored`,
  };
}

function setup() {
  let listener: ((e: KubeletPullEvent) => void) | null = null;
  const reads: string[] = [];
  const podStates = new Map<string, PodPullState>();
  let state: TriageState = emptyTriageState();
  let posts = 0;
  let replies = 0;
  const clock = { t: 1_000_000, now: () => clock.t, setTimeout: () => 0, clearTimeout: () => undefined };
  const n = new TriageNotifier(
    {
      events: { start: async (l) => void (listener = l), stop: () => undefined, requests: 0 },
      classifier: {
        async classify(e) {
          const image = /"([^"]+)"/.exec(e.message)?.[1] ?? '';
          return { ...e, image, cause: 'not-mirrored', headline: 'h', fix: [], rolloutLink: null };
        },
      },
      probe: {
        async state(ns, name) {
          reads.push(`${ns}/${name}`);
          return podStates.get(`${ns}/${name}`) ?? 'failing';
        },
      },
      chat: {
        post: async (channel) => ({ channel, ts: `1700000000.${++posts}` }),
        update: async () => undefined,
        reply: async (channel, ts) => (replies++, { channel, ts }),
      },
      store: { load: async () => structuredClone(state), save: async (s) => void (state = structuredClone(s)) },
      clock,
    },
    {
      channel: 'C',
      cluster: 'c',
      includeNamespaces: [],
      excludeNamespaces: [],
      maxPostsPerHour: 10,
      updateIntervalMs: 0,
      tickMs: 500,
      resolveIntervalMs: 1000,
    },
  );
  return { n, emit: (e: KubeletPullEvent) => listener!(e), reads, podStates, clock, replies: () => replies };
}

describe('the triage channel at scale', () => {
  it('the resolution check reads one pod per group while its cause is not fixed, however many pods fail', async () => {
    const t = setup();
    await t.n.start();
    for (let i = 0; i < 120; i++) t.emit(event(`web-${i}`));
    t.emit(event('api-0', 'quay.io/shop/api:1'));
    await t.n.pass(); // posts the two messages (only posted groups are checked)
    t.clock.t += 2000;
    await t.n.pass();
    expect(t.reads).toEqual(['shop/web-0', 'shop/api-0']); // one read per group: both still fail
    // the first two pods pull: read once more each (then marked), the scan stops at the next failing one
    t.podStates.set('shop/web-0', 'pulled');
    t.podStates.set('shop/web-1', 'gone');
    t.reads.length = 0;
    t.clock.t += 2000;
    await t.n.pass();
    expect(t.reads).toEqual(['shop/web-0', 'shop/web-1', 'shop/web-2', 'shop/api-0']);
    t.reads.length = 0;
    t.clock.t += 2000;
    await t.n.pass();
    expect(t.reads).toEqual(['shop/web-2', 'shop/api-0']);
  });

  it('a group still resolves when all its pods pull, reading each pod once more at most', async () => {
    const t = setup();
    await t.n.start();
    for (let i = 0; i < 5; i++) t.emit(event(`web-${i}`));
    await t.n.pass();
    t.clock.t += 2000;
    await t.n.pass();
    expect(t.reads).toEqual(['shop/web-0']);
    for (let i = 0; i < 5; i++) t.podStates.set(`shop/web-${i}`, 'pulled');
    t.reads.length = 0;
    t.clock.t += 2000;
    const before = t.replies();
    await t.n.pass();
    expect(t.reads.length).toBe(5);
    expect(t.replies()).toBe(before + 1); // the resolution in the thread
    t.reads.length = 0;
    t.clock.t += 2000;
    await t.n.pass();
    expect(t.reads).toEqual([]);
  });

  it('room() holds the event source while the queue is more than half full and lets go after a pass', async () => {
    const t = setup();
    await t.n.start();
    await t.n.room(); // empty queue: at once
    for (let i = 0; i < 6000; i++) t.emit(event(`web-${i % 300}`, `quay.io/shop/app${i % 7}:1`));
    let released = false;
    const waiting = t.n.room().then(() => (released = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(released).toBe(false);
    expect(t.n.queued).toBe(6000);
    await t.n.pass();
    await waiting;
    expect(released).toBe(true);
    expect(t.n.queued).toBe(0);
    expect(t.n.dropped).toBe(0);
  });

  it('drained() resolves after a pass that empties the queue, not before, and at once when stopped', async () => {
    const t = setup();
    await t.n.start();
    for (let i = 0; i < 50; i++) t.emit(event(`web-${i}`, `quay.io/shop/app${i % 3}:1`));
    let drained = false;
    const waiting = t.n.drained().then(() => (drained = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(drained).toBe(false);
    await t.n.pass();
    await waiting;
    expect(drained).toBe(true);
    expect(t.n.queued).toBe(0);
    t.n.stop();
    await t.n.drained();
  });

  it('a source that waits for room between pages of 500 loses none of 50,000 events', async () => {
    const t = setup();
    await t.n.start();
    let passes = 0;
    const pump = setInterval(() => void t.n.pass().then(() => passes++), 1);
    try {
      for (let page = 0; page < 100; page++) {
        await t.n.room();
        for (let i = 0; i < 500; i++) t.emit(event(`web-${(page * 500 + i) % 10_000}`, `quay.io/shop/app${i % 9}:1`));
      }
      while (t.n.queued > 0) await new Promise((r) => setTimeout(r, 1));
    } finally {
      clearInterval(pump);
    }
    expect(t.n.dropped).toBe(0);
    expect(passes).toBeGreaterThan(0);
  });

  it('the stored state of 10,000 failing pods in 220 groups stays under its budget and keeps every count', () => {
    const s = emptyTriageState();
    for (let p = 0; p < 10_000; p++)
      recordFailure(
        s,
        {
          namespace: `shop-${String(p % 50).padStart(2, '0')}`,
          pod: `app-${p % 20}-7d9f8b6c5-${p.toString(36).padStart(5, '0')}`,
          container: 'app',
          node: `worker-${String(p % 100).padStart(3, '0')}.bench.example`,
          image: `quay.io/shop/app-${Math.floor(p / 4) % 55}@sha256:${'d'.repeat(64)}`,
          cause: (['not-mirrored', 'mirror-tls', 'mirror-down', 'source-blocked'] as const)[p % 4]!,
          headline: 'the node tried mirror m: manifest unknown',
          fix: ['mirror it with oc-mirror'],
          rolloutLink: null,
        },
        1000,
      );
    s.groups[Object.keys(s.groups)[0]!]!.pods[Object.keys(s.groups[Object.keys(s.groups)[0]!]!.pods)[0]!]!.resolved =
      true;
    expect(JSON.stringify(s).length).toBeGreaterThan(1_048_576); // in full: over a ConfigMap's limit
    const text = storedTriageText(s);
    expect(text.length).toBeLessThanOrEqual(400_000);
    const stored = JSON.parse(text) as TriageState;
    expect(Object.keys(stored.groups).sort()).toEqual(Object.keys(s.groups).sort());
    for (const [k, g] of Object.entries(s.groups))
      expect(groupCounts(stored.groups[k]!).pods).toBe(groupCounts(g).pods);
    // failing pods are kept before resolved ones
    const first = stored.groups[Object.keys(s.groups)[0]!]!;
    expect(Object.values(first.pods).every((p) => !p.resolved)).toBe(true);
    // small states are stored as they are
    const small = emptyTriageState();
    expect(storedTriageText(small)).toBe(JSON.stringify(small));
    // the size is counted per group without stringifying the whole state: exact at the limit, and the state
    // itself is not changed (the shrunk copy shares only what it does not change)
    const full = JSON.stringify(s);
    expect(storedTriageText(s, full.length)).toBe(full);
    const shrunk = storedTriageText(s, full.length - 1);
    expect(shrunk.length).toBeLessThan(full.length);
    expect(JSON.stringify(s)).toBe(full);
  });
});
