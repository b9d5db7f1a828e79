// The policy generation store: a watch event makes a new generation (coalesced), requests during a rebuild keep
// the previous one, the first request waits without blocking the event loop, pinned generations stay until
// released, and the worker engine keeps oc-mirror-sized builds off the event loop.
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerGenerationEngine } from '../../src/cluster/generation-worker.ts';
import type { PolicySnapshot } from '../../src/cluster/live-policies.ts';
import { InProcessGenerationEngine } from '../../src/cluster/policy-generation.ts';
import type { GenerationEngine } from '../../src/cluster/policy-generation.ts';
import { PolicyGenerations } from '../../src/cluster/policy-generations.ts';
import type { SnapshotSource } from '../../src/cluster/policy-generations.ts';
import { explainPull } from '../../src/domain/explain-pull.ts';
import type { PolicySet } from '../../src/domain/policy-set.ts';
import { generatePolicies } from '../../bench/engine-bench.ts';

const D = `sha256:${'e'.repeat(64)}`;
const REF = `quay.io/ns/app@${D}`;
const image = {
  apiVersion: 'config.openshift.io/v1' as const,
  kind: 'Image' as const,
  metadata: { name: 'cluster' },
  spec: {},
};
const withMirror = (mirror: string): PolicySet => ({
  icsps: [],
  itms: [],
  image,
  idms: [
    {
      apiVersion: 'config.openshift.io/v1',
      kind: 'ImageDigestMirrorSet',
      metadata: { name: 'm' },
      spec: { imageDigestMirrors: [{ source: 'quay.io/ns', mirrors: [mirror] }] },
    },
  ],
});

/** Policies that change when the test says, with the watch's change listeners. */
class FakeWatch implements SnapshotSource {
  policies: PolicySet;
  snapshots = 0;
  stale = false;
  private readonly listeners: Array<() => void> = [];
  constructor(p: PolicySet) {
    this.policies = p;
  }
  snapshot(): PolicySnapshot {
    this.snapshots += 1;
    return { policies: this.policies, missingKinds: [], stale: this.stale, warnings: [] };
  }
  onChange(l: () => void): void {
    this.listeners.push(l);
  }
  change(p: PolicySet): void {
    this.policies = p;
    for (const l of this.listeners) l();
  }
}

/** An engine whose builds finish only when the test lets them. */
class GatedEngine extends InProcessGenerationEngine {
  gates: Array<() => void> = [];
  dropped: number[] = [];
  override async build(id: number, snap: PolicySnapshot): Promise<{ ms: number }> {
    await new Promise<void>((r) => this.gates.push(r));
    return super.build(id, snap);
  }
  override drop(id: number): void {
    this.dropped.push(id);
    super.drop(id);
  }
  open(): void {
    for (const g of this.gates.splice(0)) g();
  }
}

const firstMirror = async (g: PolicyGenerations): Promise<string | undefined> => {
  const lease = await g.acquire();
  try {
    return (await lease.explain(REF)).pullSources[0]?.location;
  } finally {
    lease.release();
  }
};
const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

const stores: PolicyGenerations[] = [];
const store = (w: SnapshotSource, e: GenerationEngine, debounceMs = 20): PolicyGenerations => {
  const s = new PolicyGenerations(w, e, { debounceMs });
  stores.push(s);
  return s;
};
afterEach(async () => {
  for (const s of stores.splice(0)) await s.stop();
});

describe('policy generations', () => {
  it('a watch event makes a new generation; answers come from it once built', async () => {
    const w = new FakeWatch(withMirror('a.local/ns'));
    const g = store(w, new InProcessGenerationEngine());
    await g.start();
    expect(g.latest?.id).toBe(1);
    expect(await firstMirror(g)).toBe('a.local/ns');
    w.change(withMirror('b.local/ns'));
    await until(() => g.latest?.id === 2);
    expect(await firstMirror(g)).toBe('b.local/ns');
  });

  it('the answer is the one explainPull (the pull as CRI-O does it) gives from the same policies', async () => {
    const w = new FakeWatch(withMirror('a.local/ns'));
    const g = store(w, new InProcessGenerationEngine());
    const lease = await g.acquire();
    expect(await lease.explain(REF)).toEqual(
      explainPull({ reference: REF, policies: w.policies, render: { requireImageConfig: true } }),
    );
    lease.release();
  });

  it('the first request waits for the first generation without blocking the loop', async () => {
    const e = new GatedEngine();
    const g = store(new FakeWatch(withMirror('a.local/ns')), e);
    let answered = false;
    const answer = firstMirror(g).then((m) => {
      answered = true;
      return m;
    });
    // The loop runs timers while the request waits.
    await new Promise((r) => setTimeout(r, 30));
    expect(answered).toBe(false);
    e.open();
    expect(await answer).toBe('a.local/ns');
  });

  it('requests during a rebuild use the previous generation', async () => {
    const e = new GatedEngine();
    const w = new FakeWatch(withMirror('a.local/ns'));
    const g = store(w, e);
    const started = g.start();
    await until(() => e.gates.length === 1);
    e.open();
    await started;
    w.change(withMirror('b.local/ns'));
    await until(() => e.gates.length === 1); // the rebuild is running (held at its gate)
    expect(await firstMirror(g)).toBe('a.local/ns');
    e.open();
    await until(() => g.latest?.id === 2);
    expect(await firstMirror(g)).toBe('b.local/ns');
  });

  it('coalesces: a burst of events makes one build, events during a build make one more', async () => {
    const e = new GatedEngine();
    const w = new FakeWatch(withMirror('a.local/ns'));
    const g = store(w, e);
    const started = g.start();
    await until(() => e.gates.length === 1);
    for (let i = 0; i < 50; i++) w.change(withMirror(`burst${i}.local/ns`)); // during the first build
    e.open();
    await until(() => e.gates.length === 1); // one more build for the 50 events, right after the first
    e.open();
    await started;
    await until(() => g.builds === 2);
    await new Promise((r) => setTimeout(r, 80));
    expect(g.builds).toBe(2);
    expect(await firstMirror(g)).toBe('burst49.local/ns');
    for (let i = 0; i < 50; i++) w.change(withMirror(`again${i}.local/ns`)); // a burst between builds
    await until(() => e.gates.length === 1);
    e.open();
    await until(() => g.builds === 3);
    await new Promise((r) => setTimeout(r, 80));
    expect(g.builds).toBe(3);
    expect(w.snapshots).toBe(3);
    expect(await firstMirror(g)).toBe('again49.local/ns');
  });

  it('a pinned generation outlives newer ones until released, then it is dropped', async () => {
    const e = new GatedEngine();
    const w = new FakeWatch(withMirror('a.local/ns'));
    const g = store(w, e);
    const started = g.start();
    await until(() => e.gates.length === 1);
    e.open();
    await started;
    const pinned = await g.acquire();
    w.change(withMirror('b.local/ns'));
    await until(() => e.gates.length === 1);
    e.open();
    await until(() => g.latest?.id === 2);
    expect(g.alive).toEqual([1, 2]);
    expect((await pinned.explain(REF)).pullSources[0]?.location).toBe('a.local/ns');
    const again = g.lease(1);
    expect(again?.generation.id).toBe(1);
    pinned.release();
    expect(e.dropped).toEqual([]);
    again!.release();
    expect(e.dropped).toEqual([1]);
    expect(g.alive).toEqual([2]);
    expect(g.lease(1)).toBeUndefined();
  });

  it("a build that fails keeps the previous generation; the first failure is the request's error", async () => {
    const w = new FakeWatch(withMirror('a.local/ns'));
    const broken = { ...withMirror('x'), idms: null } as unknown as PolicySet;
    const g0 = store(new FakeWatch(broken), new InProcessGenerationEngine());
    await expect(g0.acquire()).rejects.toThrow(/the mirror policies cannot be read/);
    const g = store(w, new InProcessGenerationEngine());
    await g.start();
    w.change(broken);
    await new Promise((r) => setTimeout(r, 80));
    expect(g.latest?.id).toBe(1);
    expect(await firstMirror(g)).toBe('a.local/ns');
  });

  it(
    'the worker engine builds 10,000 sources off the event loop (no ' +
      'slice of work over 50 ms) and answers like explainPull',
    async () => {
      const big = generatePolicies(10_000);
      const w = new FakeWatch(withMirror('a.local/ns'));
      const g = store(w, new WorkerGenerationEngine());
      await g.start();
      const slices = longestSlice();
      w.change(big);
      await until(() => g.latest?.id === 2, 60_000);
      const longest = slices.stop();
      const ref = `registry-3.example.com/ns-3/repo-3@${D}`;
      const lease = await g.acquire();
      expect(await lease.explain(ref)).toEqual(
        explainPull({ reference: ref, policies: big, render: { requireImageConfig: true } }),
      );
      lease.release();
      // The snapshot and the messages to the worker run on this thread; the render and the index do not.
      expect(longest).toBeLessThan(50);
    },
    120_000,
  );

  it('the measure can fail: the same build on this thread holds it for far longer', async () => {
    const g = store(new FakeWatch(generatePolicies(10_000)), new InProcessGenerationEngine());
    const slices = longestSlice();
    await g.start();
    await new Promise((r) => setTimeout(r, 20));
    expect(slices.stop()).toBeGreaterThan(50);
  }, 120_000);
});

/**
 * The longest stretch of this thread's CPU time between two turns of its event loop, in ms. CPU time, not wall
 * time: on a busy machine the OS may pause the process for longer, which is not work we put on the loop.
 */
function longestSlice(): { stop(): number } {
  let last = process.threadCpuUsage();
  let longest = 0;
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    const now = process.threadCpuUsage();
    longest = Math.max(longest, (now.user + now.system - last.user - last.system) / 1000);
    last = now;
    timer = setTimeout(tick, 1);
  };
  timer = setTimeout(tick, 1);
  return {
    stop: () => {
      clearTimeout(timer);
      tick();
      clearTimeout(timer);
      return longest;
    },
  };
}
