// The coalescer and the notifier's time-driven parts on a fake clock: the quiet period and the max delay of a
// burst, and the stall check that wakes itself up with no cluster event, says the stall once and resolves it once.
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/ports/clock.ts';
import { Coalescer } from '../../src/rollout/coalescer.ts';
import { RolloutNotifier } from '../../src/rollout/notifier.ts';
import type { PolicyView, RolloutSources } from '../../src/ports/rollout-sources.ts';
import { MemoryStateStore } from '../helpers/memory-state-store.ts';
import { describeChange, policyState, renderForRollout } from '../../src/domain/rollout-change.ts';
import { encodeRegistriesConf } from '../../src/domain/registries-toml.ts';
import type { PolicySet } from '../../src/domain/policy-set.ts';
import type { ChatMessage, ChatSink, PostedMessage } from '../../src/ports/chat-sink.ts';
import type { MachineConfigPool, NodeLite } from '../../src/types/machineconfig.ts';

class FakeClock implements Clock {
  t = Date.parse('2026-03-01T10:00:00Z');
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers.delete(h as number);
  }
  get pending(): number {
    return this.timers.size;
  }
  /** Moves time forward, firing due timers in order (each at its own instant). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = [...this.timers.entries()]
        .filter(([, v]) => v.at <= end)
        .sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (next === undefined) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }
}

describe('Coalescer', () => {
  it('flushes once the quiet period passed with no event', () => {
    const clock = new FakeClock();
    let flushes = 0;
    const c = new Coalescer(1000, () => flushes++, clock, 3000);
    c.touch();
    clock.advance(600);
    c.touch();
    expect(c.burst).toBe(2);
    clock.advance(999);
    expect(flushes).toBe(0);
    expect(c.pending).toBe(true);
    clock.advance(1);
    expect(flushes).toBe(1);
    expect(c.pending).toBe(false);
    expect(c.burst).toBe(0);
    clock.advance(10_000);
    expect(flushes).toBe(1);
  });

  it('a steady trickle cannot postpone the flush beyond the max delay after the first event', () => {
    const clock = new FakeClock();
    const at: number[] = [];
    const start = clock.now();
    const c = new Coalescer(1000, () => at.push(clock.now() - start), clock, 3000);
    for (let i = 0; i < 10; i++) {
      c.touch();
      clock.advance(500);
    }
    // first flush at 3000 (max delay), the events after it start a new burst
    expect(at[0]).toBe(3000);
    clock.advance(5000);
    expect(at).toEqual([3000, 5500]);
  });

  it('the default max delay is three windows; cancel drops the burst', () => {
    const clock = new FakeClock();
    let flushes = 0;
    const c = new Coalescer(1000, () => flushes++, clock);
    for (let i = 0; i < 8; i++) {
      c.touch();
      clock.advance(400);
    }
    expect(flushes).toBe(1);
    c.touch();
    c.cancel();
    clock.advance(10_000);
    expect(flushes).toBe(1);
    expect(clock.pending).toBe(0);
  });
});

// ---- the notifier on fakes: sources in memory, a recording chat, the memory state store, the fake clock ----

const image = {
  apiVersion: 'config.openshift.io/v1' as const,
  kind: 'Image' as const,
  metadata: { name: 'cluster', generation: 1 },
  spec: {},
};
const withIdms: PolicySet = {
  icsps: [],
  idms: [
    {
      apiVersion: 'config.openshift.io/v1',
      kind: 'ImageDigestMirrorSet',
      metadata: { name: 'a', uid: 'u-a', generation: 1 },
      spec: { imageDigestMirrors: [{ source: 'quay.io/app', mirrors: ['m1.local/app'] }] },
    },
  ],
  itms: [],
  image,
};
const OLD = 'rendered-worker-old';
const NEW = 'rendered-worker-new';
/** No mirror objects at all: the accepted configuration of a cluster before any change. */
const noPolicies = (): PolicySet => ({ icsps: [], idms: [], itms: [], image });

type SourcePolicy = 'NeverContactSource' | 'AllowContactingSource';
/** An IDMS for quay.io/app with its mirrorSourcePolicy. */
const idmsObject = (
  name: string,
  generation: number,
  mirrors: string[],
  policy: SourcePolicy,
): PolicySet['idms'][number] => ({
  apiVersion: 'config.openshift.io/v1',
  kind: 'ImageDigestMirrorSet',
  metadata: { name, uid: `u-${name}`, generation },
  spec: { imageDigestMirrors: [{ source: 'quay.io/app', mirrors, mirrorSourcePolicy: policy }] },
});
/** a (quay.io/app -> m1.local/app, NeverContactSource) beside b: the pair the refusal tests make disagree. */
const besideA = (b: PolicySet['idms'][number], aGeneration = 1): PolicySet => ({
  ...withIdms,
  idms: [idmsObject('a', aGeneration, ['m1.local/app'], 'NeverContactSource'), b],
});
/** b (quay.io/app -> m2.local/app) beside a: refused under AllowContactingSource, accepted under NeverContactSource. */
const conflicting = (policy: SourcePolicy, generation = 1, aGeneration = 1): PolicySet =>
  besideA(idmsObject('b', generation, ['m2.local/app'], policy), aGeneration);

class FakeSources implements RolloutSources {
  policySet: PolicySet = noPolicies();
  poolList: MachineConfigPool[] = [];
  nodeList: NodeLite[] = [];
  rendered = new Map<string, string | null>();
  private policyListeners: Array<() => void> = [];
  private clusterListeners: Array<() => void> = [];
  async start(): Promise<void> {}
  stop(): void {}
  policies(): PolicyView {
    return { policies: this.policySet, stale: false };
  }
  pools(): MachineConfigPool[] {
    return this.poolList;
  }
  nodes(): NodeLite[] {
    return this.nodeList;
  }
  async renderedRegistriesConf(name: string): Promise<string | null | undefined> {
    return this.rendered.has(name) ? this.rendered.get(name) : undefined;
  }
  onPolicyChange(l: () => void): void {
    this.policyListeners.push(l);
  }
  onClusterChange(l: () => void): void {
    this.clusterListeners.push(l);
  }
  policyChanged(): void {
    for (const l of this.policyListeners) l();
  }
  clusterChanged(): void {
    for (const l of this.clusterListeners) l();
  }
}

class RecordingChat implements ChatSink {
  posts: ChatMessage[] = [];
  replies: string[] = [];
  updates: string[] = [];
  async post(channel: string, m: ChatMessage): Promise<PostedMessage> {
    this.posts.push(m);
    return { channel, ts: `ts-${this.posts.length}` };
  }
  /** The message each update and reply went to, in the same order. */
  updateTs: string[] = [];
  replyTs: string[] = [];
  async update(_c: string, ts: string, m: ChatMessage): Promise<void> {
    this.updates.push(m.text);
    this.updateTs.push(ts);
  }
  async reply(channel: string, ts: string, m: ChatMessage): Promise<PostedMessage> {
    this.replies.push(m.text);
    this.replyTs.push(ts);
    return { channel, ts: `r-${this.replies.length}` };
  }
}

const workerPool = (updated: number, finished = false): MachineConfigPool => ({
  apiVersion: 'machineconfiguration.openshift.io/v1',
  kind: 'MachineConfigPool',
  metadata: { name: 'worker', generation: 2 },
  spec: { configuration: { name: NEW }, nodeSelector: { matchLabels: { 'node-role.kubernetes.io/worker': '' } } },
  status: {
    observedGeneration: 2,
    configuration: { name: finished ? NEW : OLD },
    machineCount: 2,
    updatedMachineCount: updated,
    readyMachineCount: finished ? 2 : 1,
    unavailableMachineCount: finished ? 0 : 1,
    degradedMachineCount: 0,
    conditions: [
      { type: 'Updated', status: finished ? 'True' : 'False' },
      { type: 'Updating', status: finished ? 'False' : 'True' },
    ],
  },
});
const workerNode = (name: string, current: string, desired: string, state: string): NodeLite => ({
  metadata: {
    name,
    labels: { 'node-role.kubernetes.io/worker': '' },
    annotations: {
      'machineconfiguration.openshift.io/currentConfig': current,
      'machineconfiguration.openshift.io/desiredConfig': desired,
      'machineconfiguration.openshift.io/state': state,
    },
  },
});

async function setupNotifier(stallMs: number, store = new MemoryStateStore(), clock = new FakeClock()) {
  const sources = new FakeSources();
  const chat = new RecordingChat();
  const after = renderForRollout(withIdms);
  sources.rendered.set(NEW, encodeRegistriesConf(after.search, after.registries));
  sources.rendered.set(OLD, null);
  const n = new RolloutNotifier(
    { sources, chat, store, clock },
    { channel: 'C1', cluster: 'c', coalesceMs: 1000, renderTimeoutMs: 600_000, updateIntervalMs: 0, stallMs },
  );
  return { n, sources, chat, clock, store };
}

const settle = async (n: RolloutNotifier): Promise<void> => {
  for (let i = 0; i < 5; i++) {
    await n.idle();
    await new Promise((r) => setImmediate(r));
  }
};

type Notified = Awaited<ReturnType<typeof setupNotifier>>;

/** A notifier (stall limit 30 min) started on `policies` with `pools`, settled. */
async function startedOn(
  policies: PolicySet,
  { store, clock, pools = [] }: { store?: MemoryStateStore; clock?: FakeClock; pools?: MachineConfigPool[] } = {},
): Promise<Notified> {
  const t = await setupNotifier(1_800_000, store, clock);
  t.sources.poolList = pools;
  t.sources.policySet = policies;
  await t.n.start();
  await settle(t.n);
  return t;
}

/** The policies change to `p`; the quiet period passes. */
async function changeTo(t: Pick<Notified, 'n' | 'sources' | 'clock'>, p: PolicySet): Promise<void> {
  t.sources.policySet = p;
  t.sources.policyChanged();
  t.clock.advance(1000);
  await settle(t.n);
}

/** State as an older bot wrote it: no `accepted`, no `refusal`; the baseline is the accepted, empty configuration. */
function storeOnEmptyBaseline(): MemoryStateStore {
  const store = new MemoryStateStore();
  store.state = { version: 1, baseline: policyState(noPolicies()), rollouts: [] };
  return store;
}

/** The worker pool finished on OLD: the rendered config from before the change. */
function poolOnOld(): MachineConfigPool {
  const done = workerPool(2, true);
  return {
    ...done,
    spec: { ...done.spec, configuration: { name: OLD } },
    status: { ...done.status!, configuration: { name: OLD } },
  };
}

/** The first line of every notice posted. */
const firstLines = (chat: RecordingChat): Array<string | undefined> => chat.posts.map((p) => p.text.split('\n')[0]);
const REFUSED = ':no_entry: The MCO refuses this mirror change on c; nodes keep the previous configuration';
const ROLLING = ':arrows_counterclockwise: Mirror change rolling out on c';

describe('the notifier on a fake clock', () => {
  it('coalesces a burst of policy events into one notice after the quiet period', async () => {
    const { n, sources, chat, clock } = await setupNotifier(1_800_000);
    sources.poolList = [poolOnOld()];
    await n.start();
    sources.policySet = withIdms;
    sources.policyChanged();
    clock.advance(500);
    sources.policyChanged();
    clock.advance(900);
    await settle(n);
    expect(chat.posts).toHaveLength(0);
    clock.advance(100);
    await settle(n);
    expect(chat.posts).toHaveLength(1);
    expect(chat.posts[0]!.text).toContain('new source quay.io/app');
    await n.stop();
  });

  it(
    'a stall: no cluster event needed, said once at the limit, resolved ' +
      'once when progress resumes; the instants survive a restart',
    async () => {
      const STALL = 30 * 60_000;
      const { n, sources, chat, clock, store } = await setupNotifier(STALL);
      sources.poolList = [workerPool(1)];
      sources.nodeList = [workerNode('worker-0', NEW, NEW, 'Done'), workerNode('worker-1', OLD, NEW, 'Working')];
      await n.start();
      // The policies change while the nodes are already midway (the render came first: the test only needs a rollout).
      await changeTo({ n, sources, clock }, withIdms);
      expect(chat.posts).toHaveLength(1);
      const startedAt = clock.now();
      expect(store.state.rollouts[0]!.marks).toEqual({
        pools: { worker: { mark: expect.any(String), since: startedAt } },
        working: { 'worker-1': { desired: NEW, since: startedAt } },
      });

      clock.advance(STALL - 1000);
      await settle(n);
      expect(chat.replies).toEqual([]);

      // A restart just before the limit: the new notifier keeps the persisted instants.
      await n.stop();
      const second = new RolloutNotifier(
        { sources, chat, store, clock },
        {
          channel: 'C1',
          cluster: 'c',
          coalesceMs: 1000,
          renderTimeoutMs: 600_000,
          updateIntervalMs: 0,
          stallMs: STALL,
        },
      );
      await second.start();
      await settle(second);
      expect(chat.replies).toEqual([]);
      clock.advance(1000 + 10);
      await settle(second);
      expect(chat.replies).toEqual([
        ':warning: Stuck: pool worker: no progress for 30 min at 1/2 updated; nodes ' +
          'still updating: worker-1 (state Working since 2026-03-01T10:00:01Z)',
        `:warning: Stuck: node worker-1 is stuck in its update: state Working for 30 min ` +
          `(since 2026-03-01T10:00:01Z), desired ${NEW}, current ${OLD} [pool worker]`,
      ]);
      expect(chat.updates.at(-1)).toMatch(/^:warning: Mirror change rolling out, stuck/);
      // Time passes, cluster events come, nothing is said twice.
      clock.advance(STALL);
      sources.clusterChanged();
      await settle(second);
      expect(chat.replies).toHaveLength(2);

      // worker-1 finishes: both resolved, then done.
      sources.nodeList = [workerNode('worker-0', NEW, NEW, 'Done'), workerNode('worker-1', NEW, NEW, 'Done')];
      sources.poolList = [workerPool(2, true)];
      sources.clusterChanged();
      await settle(second);
      expect(chat.replies.slice(2)).toEqual([
        ':white_check_mark: Resolved: pool worker: no progress for 30 min at 1/2 updated; ' +
          'nodes still updating: worker-1 (state Working since 2026-03-01T10:00:01Z)',
        `:white_check_mark: Resolved: node worker-1 is stuck in its update: state Working for 30 ` +
          `min (since 2026-03-01T10:00:01Z), desired ${NEW}, current ${OLD} [pool worker]`,
        expect.stringMatching(/^:white_check_mark: Done: the change reached every node \(worker 2\/2\)/),
      ]);
      expect(store.state.rollouts[0]!.marks).toBeUndefined();
      await second.stop();
      expect(clock.pending).toBe(0);
    },
  );

  it('progress before the limit restarts the count', async () => {
    const STALL = 10_000;
    const { n, sources, chat, clock } = await setupNotifier(STALL);
    sources.poolList = [workerPool(0)];
    sources.nodeList = [workerNode('worker-0', OLD, NEW, 'Working'), workerNode('worker-1', OLD, OLD, 'Done')];
    await n.start();
    await changeTo({ n, sources, clock }, withIdms);
    clock.advance(8000);
    // worker-0 finishes, worker-1 starts
    sources.poolList = [workerPool(1)];
    sources.nodeList = [workerNode('worker-0', NEW, NEW, 'Done'), workerNode('worker-1', OLD, NEW, 'Working')];
    sources.clusterChanged();
    await settle(n);
    clock.advance(8000);
    await settle(n);
    expect(chat.replies).toEqual([]);
    clock.advance(2100);
    await settle(n);
    expect(chat.replies.map((r) => r.split(':')[2])).toEqual([' Stuck', ' Stuck']);
    expect(chat.replies[0]).toContain('no progress for 10 s at 1/2 updated');
    await n.stop();
  });
});

describe('the notifier on a refusal (state across restarts)', () => {
  it(
    'state written before the accepted render was kept loads; the refusal is posted once across a restart; ' +
      'the fix that renders as the refused intent is a rollout, and the refusal is resolved in its thread',
    async () => {
      const store = storeOnEmptyBaseline();
      const first = await startedOn(conflicting('AllowContactingSource'), { store });
      expect(firstLines(first.chat)).toEqual([REFUSED]);
      expect(store.state.rollouts).toHaveLength(0);
      expect(store.state.accepted).toEqual(renderForRollout(noPolicies()));
      expect(store.state.refusal?.ts).toBe('ts-1');
      await first.n.stop();

      const second = await startedOn(conflicting('AllowContactingSource'), { store, clock: first.clock });
      expect(second.chat.posts).toHaveLength(0);
      // The fix renders exactly as the refused intent did.
      expect(renderForRollout(conflicting('NeverContactSource', 2)).registries).toEqual(
        renderForRollout(conflicting('AllowContactingSource')).registries,
      );
      await changeTo(second, conflicting('NeverContactSource', 2));
      expect(firstLines(second.chat)).toEqual([ROLLING]);
      expect(second.chat.posts[0]!.text).toContain('new source quay.io/app');
      expect(second.chat.replies).toEqual([
        ':white_check_mark: Resolved: the MCO accepts the mirror objects again; the new configuration rolls out ' +
          '(followed in its own message).',
      ]);
      expect(store.state.refusal).toBeNull();
      expect(store.state.accepted?.error).toBeNull();
      await second.n.stop();
    },
  );

  it('a rollout whose render is overdue because the objects were refused after it quotes that refusal', async () => {
    const t = await setupNotifier(1_800_000);
    const { n, chat, clock } = t;
    t.sources.poolList = [poolOnOld()];
    await n.start();
    await changeTo(t, withIdms);
    // Refused before the MCO wrote the change: it writes nothing from now on, the change never renders.
    await changeTo(t, conflicting('AllowContactingSource'));
    expect(firstLines(chat)).toEqual([ROLLING, REFUSED]);
    expect(chat.replies).toEqual([]);
    clock.advance(600_000);
    await settle(n);
    expect(chat.replies).toEqual([
      expect.stringMatching(
        new RegExp(
          '^:warning: Stuck: the rendered config of worker \\(rendered-worker-old\\) never picked the change up: ' +
            'the MCO refuses the objects as changed since: conflicting mirrorSourcePolicy',
        ),
      ),
    ]);
    await n.stop();
  });
});

describe('the notifier on a refusal changed into another refusal', () => {
  // a and b disagree on mirrorSourcePolicy: refused
  const conflict = besideA(idmsObject('b', 1, ['m2.local/app'], 'AllowContactingSource'));
  // b changed, still disagreeing: refused for the same reason
  const conflictAgain = besideA(idmsObject('b', 2, ['m3.local/app'], 'AllowContactingSource'));
  // b agrees but lists the source as its own mirror under NeverContactSource: refused for another reason
  const selfMirror = besideA(idmsObject('b', 3, ['quay.io/app'], 'NeverContactSource'));
  const fixed = besideA(idmsObject('b', 4, ['m2.local/app'], 'NeverContactSource'));

  it(
    "the first refusal's thread learns each change and the new reason, its message is edited, never a second " +
      'message; a restart says nothing again; the fix resolves it once',
    async () => {
      const store = storeOnEmptyBaseline();
      const t = await startedOn(conflict, { store });
      expect(firstLines(t.chat)).toEqual([REFUSED]);
      await changeTo(t, conflictAgain);
      const still = ':no_entry: Still refused after the change (ImageDigestMirrorSet/b changed), ';
      expect(t.chat.replies).toEqual([
        `${still}for the same reason: conflicting mirrorSourcePolicy is set for the same source "quay.io/app" in ` +
          'imagedigestmirrorsets, imagetagmirrorsets, or imagecontentsourcepolicies\n' +
          'The nodes still keep the previous configuration.',
      ]);
      await changeTo(t, selfMirror);
      expect(t.chat.posts).toHaveLength(1);
      expect(t.chat.replies[1]).toBe(
        `${still}now for a different reason: cannot set mirrorSourcePolicy: NeverContactSource if the source ` +
          '"quay.io/app" is one of the mirrors\nThe nodes still keep the previous configuration.',
      );
      expect(t.chat.replyTs).toEqual(['ts-1', 'ts-1']);
      expect(t.chat.updateTs).toEqual(['ts-1', 'ts-1']);
      expect(t.chat.updates.at(-1)).toContain('*Refused:* cannot set mirrorSourcePolicy: NeverContactSource');
      expect(t.chat.updates.at(-1)).toContain('ImageDigestMirrorSet/a created; ImageDigestMirrorSet/b created');
      expect(t.chat.updates.at(-1)).toContain('each change is in the thread');
      expect(store.state.refusal?.followUp).toBeNull();
      expect(store.state.accepted).toEqual(renderForRollout(noPolicies()));
      // a relist of the same objects says nothing
      await changeTo(t, selfMirror);
      expect(t.chat.replies).toHaveLength(2);
      await t.n.stop();

      // a restart on the same refused objects says nothing; then the fix: a rollout, the refusal resolved once
      const second = await startedOn(selfMirror, { store, clock: t.clock });
      expect(second.chat.posts).toHaveLength(0);
      expect(second.chat.replies).toHaveLength(0);
      await changeTo(second, fixed);
      expect(firstLines(second.chat)).toEqual([ROLLING]);
      expect(second.chat.replies).toEqual([expect.stringMatching(/^:white_check_mark: Resolved: the MCO accepts/)]);
      expect(second.chat.replyTs).toEqual(['ts-1']);
      await changeTo(second, fixed);
      expect(second.chat.replies).toHaveLength(1);
      expect(store.state.refusal).toBeNull();
      await second.n.stop();
    },
  );

  it('a change while no bot ran is said at the start, in the thread', async () => {
    const store = storeOnEmptyBaseline();
    const t = await startedOn(conflict, { store });
    await t.n.stop();
    const second = await startedOn(selfMirror, { store, clock: t.clock });
    expect(second.chat.posts).toHaveLength(0);
    expect(second.chat.replies).toEqual([expect.stringMatching(/now for a different reason: cannot set/)]);
    expect(second.chat.replyTs).toEqual(['ts-1']);
    await second.n.stop();
  });
});

describe('the notifier first started on a set the MCO already refuses', () => {
  // a is at generation 2 here; b disagrees with it under AllowContactingSource
  const refused = conflicting('AllowContactingSource', 1, 2);

  it(
    "knows the last accepted render from the pools' rendered MachineConfig, says the refusal once, not again " +
      'after a restart; the fix is a rollout from that render and resolves it once',
    async () => {
      const store = new MemoryStateStore();
      // the pools are given NEW: the render of withIdms (a: quay.io/app -> m1.local/app), what the MCO accepted last
      const first = await startedOn(refused, { store, pools: [workerPool(2, true)] });
      expect(firstLines(first.chat)).toEqual([REFUSED]);
      const text = first.chat.posts[0]!.text;
      expect(text).toMatch(/\*Refused:\* conflicting mirrorSourcePolicy/);
      expect(text).toContain('*Objects:* not known: the bot started on objects the MCO already refused');
      // asked for against the accepted render (quay.io/app is known there), not against nothing
      expect(text).toContain('m2.local/app');
      expect(text).not.toContain('new source quay.io/app');
      // the accepted render read back means the same as the render of withIdms (no difference for the nodes)
      const accepted = store.state.accepted!;
      expect(
        describeChange({ config: accepted, objects: [] }, { config: renderForRollout(withIdms), objects: [] }),
      ).toBeNull();
      expect(accepted.registries.map((r) => r.mirrors.map((m) => m.location))).toEqual([['m1.local/app']]);
      expect(store.state.refusal?.ts).toBe('ts-1');
      await first.n.stop();

      const second = await startedOn(refused, { store, clock: first.clock, pools: [workerPool(2, true)] });
      expect(second.chat.posts).toHaveLength(0);
      await changeTo(second, conflicting('NeverContactSource', 2, 2));
      expect(firstLines(second.chat)).toEqual([ROLLING]);
      // from the accepted render: only m2 is new for quay.io/app
      expect(second.chat.posts[0]!.text).not.toContain('new source quay.io/app');
      expect(second.chat.posts[0]!.text).toContain('m2.local/app');
      expect(second.chat.replies).toEqual([expect.stringMatching(/^:white_check_mark: Resolved: the MCO accepts/)]);
      expect(second.chat.replyTs).toEqual(['ts-1']);
      await second.n.stop();
    },
  );

  it('no pool to read the accepted render from: the old first start (nothing said, nothing known)', async () => {
    const t = await startedOn(refused);
    expect(t.chat.posts).toHaveLength(0);
    expect(t.store.state.accepted).toBeNull();
    await t.n.stop();
  });
});

describe('state from a first start on refused objects that did not know the accepted render', () => {
  // a at generation 2, b disagreeing: refused
  const refusedSet = conflicting('AllowContactingSource', 1, 2);

  it.each([
    ['written by an older bot (no accepted render kept)', undefined],
    ['written when no pool was readable (accepted render null)', null],
  ] as const)('%s: the refusal is said once when the pools tell the render', async (_name, accepted) => {
    const store = new MemoryStateStore();
    store.state = {
      version: 1,
      baseline: policyState(refusedSet),
      rollouts: [],
      ...(accepted === null ? { accepted: null } : {}),
    };
    const first = await startedOn(refusedSet, { store, pools: [workerPool(2, true)] });
    expect(firstLines(first.chat)).toEqual([REFUSED]);
    expect(first.chat.posts[0]!.text).toContain('not known: the bot started on objects the MCO already refused');
    expect(first.chat.posts[0]!.text).not.toContain('new source quay.io/app');
    await first.n.stop();
    const second = await startedOn(refusedSet, { store, clock: first.clock, pools: [workerPool(2, true)] });
    expect(second.chat.posts).toHaveLength(0);
    await second.n.stop();
  });

  it('no pool readable still: nothing said; fixed meanwhile: the fix is measured from the pools', async () => {
    const store = new MemoryStateStore();
    store.state = { version: 1, baseline: policyState(refusedSet), rollouts: [], accepted: null };
    const t = await startedOn(refusedSet, { store });
    expect(t.chat.posts).toHaveLength(0);
    await t.n.stop();
    // fixed while no bot ran (b agrees); the pools still carry the render of a alone: a rollout of m2
    const fixed = conflicting('NeverContactSource', 2, 2);
    const second = await startedOn(fixed, { store, clock: t.clock, pools: [workerPool(2, true)] });
    expect(firstLines(second.chat)).toEqual([ROLLING]);
    expect(second.chat.posts[0]!.text).toContain('m2.local/app');
    expect(second.chat.posts[0]!.text).not.toContain('new source quay.io/app');
    await second.n.stop();
  });
});
