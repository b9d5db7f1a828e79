// The bot's policy generations: a new one is built when a watch event arrives (coalesced: a burst of events,
// or events during a build, make one more build, not one each), off the request path; a request takes the
// current generation (or waits for the first, without blocking the loop) and keeps it, pinned, until its
// answer and its live check are done — so the anchor message and the live result come from the same plan.
import type { Explanation } from '../domain/explain.ts';
import type { ParsedReference } from '../domain/parsed-reference.ts';
import type { PolicySnapshot } from './live-policies.ts';
import type { LiveJudgement } from '../domain/live-verdict.ts';
import type { GenerationEngine, GenerationJudgeInput } from './policy-generation.ts';

/** What the store reads the policies from: LivePolicies, or anything with the same three members. */
export interface SnapshotSource {
  snapshot(): PolicySnapshot;
  onChange(listener: () => void): void;
  /** Read per answer: staleness is about now, not about when the generation was built. */
  readonly stale: boolean;
}

export interface GenerationInfo {
  readonly id: number;
  /** Kinds whose CRD is missing, input warnings: as in the snapshot the generation was built from. */
  readonly missingKinds: string[];
  readonly warnings: string[];
  readonly policies: PolicySnapshot['policies'];
  readonly buildMs: number;
}

/** A pinned generation: answers and judgements from it stay consistent until release(). */
export interface GenerationLease {
  readonly generation: GenerationInfo;
  explain(reference: ParsedReference | string): Promise<Explanation>;
  judge(input: GenerationJudgeInput): Promise<LiveJudgement>;
  release(): void;
}

export interface PolicyGenerationsOptions {
  /** Events within this window after the first make one build (default 200 ms). */
  debounceMs?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export class PolicyGenerations {
  private readonly source: SnapshotSource;
  private readonly engine: GenerationEngine;
  private readonly debounceMs: number;
  private readonly log: PolicyGenerationsOptions['log'];
  private current: GenerationInfo | undefined;
  private readonly pins = new Map<number, number>();
  private readonly pinned = new Map<number, GenerationInfo>();
  private nextId = 0;
  private dirty = false;
  private building: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private lastError: Error | undefined;
  private stopped = false;
  /** Generations built so far (tests, metrics). */
  builds = 0;

  constructor(source: SnapshotSource, engine: GenerationEngine, opts: PolicyGenerationsOptions = {}) {
    this.source = source;
    this.engine = engine;
    this.debounceMs = opts.debounceMs ?? 200;
    this.log = opts.log;
    source.onChange(() => this.changed());
    if ('onLost' in engine) {
      (engine as { onLost?: (reason: string) => void }).onLost = (reason) => {
        this.log?.('policy engine worker lost; rebuilding the current generation', { reason });
        this.current = undefined;
        this.pins.clear();
        this.pinned.clear();
        this.dirty = true;
        void this.rebuild();
      };
    }
  }

  /** Builds the first generation now (call once the watches have synced); resolves when it is there. */
  async start(): Promise<void> {
    this.dirty = true;
    await this.rebuild();
    if (this.current === undefined && this.lastError !== undefined) throw this.lastError;
  }

  /** A watch event: schedule one build for this burst (or one more after the build in progress). */
  private changed(): void {
    if (this.stopped) return;
    this.dirty = true;
    if (this.timer !== undefined || this.building !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.rebuild();
    }, this.debounceMs);
    this.timer.unref();
  }

  private rebuild(): Promise<void> {
    this.building ??= (async () => {
      try {
        while (this.dirty && !this.stopped) {
          this.dirty = false;
          const snap = this.source.snapshot();
          const id = ++this.nextId;
          try {
            const { ms } = await this.engine.build(id, snap);
            this.builds += 1;
            const previous = this.current;
            this.current = {
              id,
              missingKinds: snap.missingKinds,
              warnings: snap.warnings,
              policies: snap.policies,
              buildMs: ms,
            };
            this.lastError = undefined;
            if (previous !== undefined && !this.pins.has(previous.id)) this.engine.drop(previous.id);
            this.log?.('policy generation built', { generation: id, ms: Math.round(ms) });
          } catch (e) {
            this.lastError = e instanceof Error ? e : new Error(String(e));
            this.log?.('policy generation failed; answers keep the previous one', {
              generation: id,
              err: this.lastError.message,
            });
          }
          const waiters = this.waiters;
          this.waiters = [];
          for (const w of waiters) {
            if (this.current !== undefined) w.resolve();
            else
              w.reject(new Error(`the mirror policies cannot be read: ${this.lastError?.message ?? 'no generation'}`));
          }
        }
      } finally {
        this.building = undefined;
      }
      // An event during the last build that the loop did not see (it ended first): one more.
      if (this.dirty && !this.stopped) this.changed();
    })();
    return this.building;
  }

  /** The generation answers use now; undefined before the first build. */
  get latest(): GenerationInfo | undefined {
    return this.current;
  }

  get stale(): boolean {
    return this.source.stale;
  }

  /** Pins the current generation; waits (asynchronously) for the first one. */
  async acquire(): Promise<GenerationLease> {
    if (this.current === undefined) {
      if (this.stopped) throw new Error('the policy generations are stopped');
      await new Promise<void>((resolve, reject) => {
        this.waiters.push({ resolve, reject });
        if (this.building === undefined && this.timer === undefined) {
          this.dirty = true;
          void this.rebuild();
        }
      });
    }
    return this.pin(this.current!);
  }

  /** Pins generation `id` again if it is still there (current, or pinned by the request that planned with it). */
  lease(id: number): GenerationLease | undefined {
    const g = this.current?.id === id ? this.current : this.pinned.get(id);
    return g === undefined ? undefined : this.pin(g);
  }

  private pin(g: GenerationInfo): GenerationLease {
    this.pins.set(g.id, (this.pins.get(g.id) ?? 0) + 1);
    this.pinned.set(g.id, g);
    let released = false;
    return {
      generation: g,
      explain: (reference) => this.engine.explain(g.id, reference),
      judge: (input) => this.engine.judge(g.id, input),
      release: () => {
        if (released) return;
        released = true;
        const n = (this.pins.get(g.id) ?? 1) - 1;
        if (n > 0) {
          this.pins.set(g.id, n);
          return;
        }
        this.pins.delete(g.id);
        this.pinned.delete(g.id);
        if (this.current?.id !== g.id) this.engine.drop(g.id);
      },
    };
  }

  /** Generations alive in the engine: the current one and those still pinned (tests). */
  get alive(): number[] {
    return [...new Set([...(this.current ? [this.current.id] : []), ...this.pinned.keys()])].sort((a, b) => a - b);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const w of this.waiters) w.reject(new Error('the policy generations are stopped'));
    this.waiters = [];
    await this.engine.close();
  }
}
