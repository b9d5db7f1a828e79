// The rollout notifier: notices a mirror-policy change (coalescing bursts), posts one message per rollout in the
// notify channel, edits it in place as pools progress, says each stuck item once in the thread (and "resolved"
// when it clears), and replies "done" when every pool with machines meets the rollout-complete rule on a
// rendered config verified to carry the change. A pool that stops progressing, or a node Working on its update,
// for longer than the stall limit is a stuck item too (its instants are kept in the state). Level-triggered: every
// pass recomputes from the caches, never from one event. State lives in a StateStore (a ConfigMap), so a restart
// neither re-posts nor misses anything; with a leader lease only the leader acts.
import { assessRollout, emptyMarks, nextStallCheck, trackProgress } from '../domain/rollout-progress.ts';
import type { RolloutProgress } from '../domain/rollout-progress.ts';
import { acceptedFromRendered, laterRefusal, likelyRejection, policyState } from '../domain/rollout-change.ts';
import { renderedHasChange } from '../domain/rollout-change.ts';
import { renderForRollout } from '../domain/rollout-change.ts';
import type { PolicyState, RenderedConfig } from '../domain/rollout-change.ts';
import { doneReply, noticeMessage, resolvedReply, stuckReply, supersededReply } from '../domain/rollout-notice.ts';
import { refusalChangedReply, refusalClearedReply, refusalMessage } from '../domain/rollout-notice.ts';
import { firstStepOnRefused, followedRefusal, nextPolicyStep } from '../domain/rollout-transition.ts';
import type { Refusal } from '../domain/rollout-transition.ts';
import type { NoticePhase } from '../domain/rollout-notice.ts';
import { poolStatusLines } from '../domain/rollout-status.ts';
import type { PoolStatus } from '../domain/rollout-status.ts';
import type { ChatSink } from '../ports/chat-sink.ts';
import type { Clock } from '../ports/clock.ts';
import { systemClock } from '../ports/clock.ts';
import { Coalescer } from './coalescer.ts';
import type { RolloutSources } from '../ports/rollout-sources.ts';
import { isActive, lastAccepted, pruneState } from '../domain/notifier-state.ts';
import type { NotifierState, RolloutRecord } from '../domain/notifier-state.ts';
import { StateConflictError } from '../ports/state-store.ts';
import type { StateStore } from '../ports/state-store.ts';
import { errorText } from '../domain/error-text.ts';
import type { LogSink } from '../ports/logger.ts';

export interface NotifierSettings {
  channel: string;
  /** Cluster name for messages. */
  cluster: string;
  /** Quiet period that ends a burst of policy events (ICSP_COALESCE_SECONDS, default 20 s). */
  coalesceMs: number;
  /** Longest a burst may postpone the notice (default 3x coalesceMs). */
  coalesceMaxMs?: number;
  /** How long the rendered configs may take to pick the change up before "stuck" (default 10 min). */
  renderTimeoutMs: number;
  /**
   * A progressing pool with no progress (updated count unchanged, no node finishing) for this long, or a node
   * Working on its update for this long, is stuck (ICSP_STALL_SECONDS, default 30 min).
   */
  stallMs?: number;
  /** Minimum time between two progress edits of one message (default 10 s; stuck/done edits are immediate). */
  updateIntervalMs: number;
  /** Backoff after a failed Slack or state write (default 15 s). */
  retryMs?: number;
}

/** What the notifier needs of a leader election (src/cluster/leader-lease.ts). */
export interface Leadership {
  readonly isLeader: boolean;
  onChange(listener: (leader: boolean) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** What the notifier logs through (a part of the LogSink port, src/ports/logger.ts). */
export type NotifierLogger = Pick<LogSink, 'info' | 'warn'>;

export interface NotifierDeps {
  sources: RolloutSources;
  chat: ChatSink;
  store: StateStore;
  /** Absent: this process is always the notifier (single replica). */
  leadership?: Leadership;
  clock?: Clock;
  logger?: NotifierLogger;
}

const silent: NotifierLogger = { info: () => undefined, warn: () => undefined };

export class RolloutNotifier {
  private readonly deps: Required<Omit<NotifierDeps, 'leadership'>> & Pick<NotifierDeps, 'leadership'>;
  private readonly settings: Required<NotifierSettings>;
  private readonly coalescer: Coalescer;
  private state: NotifierState | null = null;
  private flushPending = false;
  private dirty = false;
  private running: Promise<void> | null = null;
  private timers = new Set<unknown>();
  private readonly keyed = new Set<string>();
  /** Pending stall wake-ups per rollout: the instant and the timer. */
  private readonly wakeAts = new Map<string, { at: number; t: unknown }>();
  private stopped = false;
  /** False until every cache has its initial list: a pass on half-filled caches would see nodes vanish. */
  private sourcesReady = false;
  /** Passes run (tests, bench). */
  passes = 0;
  /** The last error of a pass, if the last pass failed. */
  lastError: string | null = null;

  constructor(deps: NotifierDeps, settings: NotifierSettings) {
    this.deps = { clock: systemClock, logger: silent, ...deps };
    this.settings = { coalesceMaxMs: settings.coalesceMs * 3, retryMs: 15_000, stallMs: 1_800_000, ...settings };
    this.coalescer = new Coalescer(
      this.settings.coalesceMs,
      () => {
        this.flushPending = true;
        this.schedule();
      },
      this.deps.clock,
      this.settings.coalesceMaxMs,
    );
  }

  private get leader(): boolean {
    return this.deps.leadership?.isLeader ?? true;
  }

  /** Whether this replica holds the Lease (the triage channel posts only then, too). */
  get isLeader(): boolean {
    return this.leader;
  }

  async start(): Promise<void> {
    const { sources, leadership } = this.deps;
    sources.onPolicyChange(() => {
      if (!this.stopped) this.coalescer.touch();
    });
    sources.onClusterChange(() => this.schedule());
    await sources.start();
    this.sourcesReady = true;
    if (leadership !== undefined) {
      leadership.onChange((leader) => {
        this.deps.logger.info(
          { leader },
          leader ? 'rollout notifier: became the leader' : 'rollout notifier: no longer the leader',
        );
        // A new leader reads the state afresh: another replica may have written it meanwhile.
        this.state = null;
        if (leader) this.schedule();
      });
      await leadership.start();
    }
    // The first pass (state load, baseline on a first start) is over when start() resolves: a change made after
    // that is announced, never folded into the baseline.
    this.schedule();
    await this.idle();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.coalescer.cancel();
    for (const t of this.timers) this.deps.clock.clearTimeout(t);
    this.timers.clear();
    this.keyed.clear();
    this.wakeAts.clear();
    await this.running;
    await this.deps.leadership?.stop();
    this.deps.sources.stop();
  }

  /** Resolves when no pass is running or queued (tests and the bench). Coalescing timers are not waited for. */
  async idle(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  /** Requests a pass; passes never overlap, and requests during a pass cause exactly one more. */
  schedule(): void {
    if (this.stopped) return;
    this.dirty = true;
    if (this.running !== null || !this.sourcesReady) return;
    this.running = (async () => {
      try {
        while (this.dirty && !this.stopped) {
          this.dirty = false;
          await this.pass();
        }
      } finally {
        this.running = null;
      }
    })();
  }

  private after(ms: number): void {
    if (this.stopped) return;
    const t = this.deps.clock.setTimeout(
      () => {
        this.timers.delete(t);
        this.schedule();
      },
      Math.max(0, ms),
    );
    this.timers.add(t);
  }

  /** A pass in `ms`, at most one pending per key (render deadline, throttled edit). */
  private afterOnce(key: string, ms: number): void {
    if (this.stopped || this.keyed.has(key)) return;
    this.keyed.add(key);
    const t = this.deps.clock.setTimeout(
      () => {
        this.timers.delete(t);
        this.keyed.delete(key);
        this.schedule();
      },
      Math.max(0, ms),
    );
    this.timers.add(t);
  }

  /** A pass at `at` (clock time), keeping only the earliest pending one per key (stall checks). */
  private wakeAt(key: string, at: number): void {
    if (this.stopped) return;
    const pending = this.wakeAts.get(key);
    if (pending !== undefined && pending.at <= at) return;
    if (pending !== undefined) {
      this.deps.clock.clearTimeout(pending.t);
      this.timers.delete(pending.t);
    }
    const t = this.deps.clock.setTimeout(
      () => {
        this.timers.delete(t);
        if (this.wakeAts.get(key)?.t === t) this.wakeAts.delete(key);
        this.schedule();
      },
      Math.max(0, at - this.deps.clock.now()),
    );
    this.timers.add(t);
    this.wakeAts.set(key, { at, t });
  }

  private async pass(): Promise<void> {
    this.passes++;
    if (!this.leader) return;
    try {
      if (this.state === null) await this.loadState();
      if (this.flushPending) {
        this.flushPending = false;
        await this.handlePolicyChange();
      }
      await this.followRefusal();
      for (const r of this.state!.rollouts.filter(isActive)) await this.follow(r);
      this.lastError = null;
    } catch (e) {
      this.lastError = errorText(e);
      if (e instanceof StateConflictError) {
        this.deps.logger.warn({ err: this.lastError }, 'rollout notifier: state changed underneath, reloading');
        this.state = null;
        this.after(1000);
      } else {
        this.deps.logger.warn({ err: this.lastError }, 'rollout notifier: pass failed, retrying');
        this.after(this.settings.retryMs);
      }
    }
  }

  private async save(): Promise<void> {
    // The in-memory state is bounded like the saved one: finished rollouts beyond the newest few are dropped.
    this.state = pruneState(this.state!);
    await this.deps.store.save(this.state);
  }

  private async loadState(): Promise<void> {
    const s = await this.deps.store.load();
    this.state = s;
    const current = policyState(this.deps.sources.policies().policies);
    if (s.baseline === null) {
      // First start: the current configuration is what the nodes are meant to have; nothing to announce. Refused
      // objects: the MCO kept the last render it accepted, which the objects no longer say but the pools' rendered
      // MachineConfigs do; the refusal is said once (recorded before posting: a restart says it no more).
      const accepted = current.config.error === null ? current.config : await this.acceptedFromPools();
      const step = firstStepOnRefused(current, accepted);
      s.baseline = step.memory.baseline;
      s.accepted = step.memory.accepted;
      if (step.outcome.kind === 'refused') this.openRefusal(step.outcome.refusal);
      await this.save();
      this.deps.logger.info(
        { objects: current.objects.length, refused: current.config.error !== null, acceptedKnown: accepted !== null },
        'rollout notifier: baseline recorded',
      );
      return;
    }
    if (s.baseline.config.error !== null && lastAccepted(s) === null && (s.refusal ?? null) === null) {
      // A first start on refused objects that could not know the accepted render (an older bot, or no pool readable
      // then): nothing was said. Read it from the pools now; refused still: the refusal is said once, as on a first
      // start; fixed meanwhile: the fix is measured from it.
      const accepted = await this.acceptedFromPools();
      if (accepted !== null && current.config.error !== null) {
        const first = firstStepOnRefused(current, accepted);
        s.baseline = first.memory.baseline;
        s.accepted = first.memory.accepted;
        if (first.outcome.kind === 'refused') this.openRefusal(first.outcome.refusal);
        await this.save();
        return;
      }
      if (accepted !== null) s.accepted = accepted;
    }
    const step = nextPolicyStep({ baseline: s.baseline, accepted: lastAccepted(s) }, current);
    if (step.outcome.kind !== 'none' || step.cleared) {
      // Changed while no notifier ran: announce it now.
      this.flushPending = true;
    } else if (JSON.stringify(s.baseline.objects) !== JSON.stringify(current.objects) || s.accepted === undefined) {
      s.baseline = step.memory.baseline;
      s.accepted = step.memory.accepted;
      await this.save();
    }
  }

  private async handlePolicyChange(): Promise<void> {
    const state = this.state!;
    const view = this.deps.sources.policies();
    if (view.stale) this.deps.logger.warn({}, 'rollout notifier: policy caches are stale; comparing anyway');
    const current: PolicyState = policyState(view.policies);
    const before = state.baseline ?? current;
    // Judged against the last ACCEPTED render: a refused generation changes nothing on the nodes, and the fix
    // after it is a change when it differs from what the nodes kept (rollout-transition.ts).
    const step = nextPolicyStep({ baseline: state.baseline, accepted: lastAccepted(state) }, current);
    const memoryMoved =
      JSON.stringify(before.objects) !== JSON.stringify(current.objects) ||
      JSON.stringify(state.accepted) !== JSON.stringify(step.memory.accepted);
    state.baseline = step.memory.baseline;
    state.accepted = step.memory.accepted;
    const now = this.deps.clock.now();
    const open = state.refusal ?? null;
    if (step.cleared && open !== null && open.clearedAt === null) {
      open.clearedAt = now;
      open.clearedWithChange = step.outcome.kind === 'rollout';
    }
    if (step.outcome.kind === 'refusal-changed' && open !== null && open.clearedAt === null) {
      // Refused → refused differently: the open refusal follows (its thread learns the new reason, its message is
      // edited), never a second top-level message.
      const { refusal, sameReason } = step.outcome;
      open.refusal = followedRefusal(open.refusal, refusal);
      open.followUp = { objects: refusal.objects, error: refusal.error, sameReason };
      await this.save();
      this.deps.logger.info(
        { error: refusal.error, sameReason },
        'rollout notifier: the MCO still refuses the objects',
      );
      return;
    }
    if (step.outcome.kind === 'refused' || step.outcome.kind === 'refusal-changed') {
      // Said once; no rollout to follow (the nodes keep the last accepted file), open rollouts go on. A changed
      // refusal with no open one (state written before refusals were kept): nothing was said, say it now.
      this.openRefusal(step.outcome.refusal);
      await this.save();
      this.deps.logger.info({ error: step.outcome.refusal.error }, 'rollout notifier: the MCO refuses the objects');
      return;
    }
    if (step.outcome.kind === 'none') {
      // Nothing for the nodes (a status write, a periodic relist, an edit that renders the same, the same refused
      // objects again): no notice, and no write unless the memory moved on.
      if (memoryMoved || step.cleared) await this.save();
      return;
    }
    const change = step.outcome.change;
    const touched = new Set(change.changedSources);
    const superseded = state.rollouts.filter((r) => isActive(r) && r.change.changedSources.some((s) => touched.has(s)));
    for (const r of superseded) {
      r.superseded = true;
      delete r.marks;
    }
    const rec: RolloutRecord = {
      id: `${change.key}-${now.toString(36)}`,
      change,
      startedAt: now,
      channel: this.settings.channel,
      ts: null,
      lastHeader: null,
      lastUpdateAt: 0,
      openStuck: {},
      doneAt: null,
      doneTargets: null,
      superseded: false,
    };
    state.rollouts.push(rec);
    // Recorded before posting: a restart after this point follows this rollout and never announces it twice.
    await this.save();
    this.deps.logger.info(
      { rollout: rec.id, objects: change.objects.length, changes: change.changes.length },
      'rollout notifier: new mirror rollout',
    );
    for (const r of superseded) await this.closeSuperseded(r);
  }

  /** Records a refusal to say (before it is posted, like a rollout). */
  private openRefusal(refusal: Refusal): void {
    const now = this.deps.clock.now();
    this.state!.refusal = {
      id: `refused-${now.toString(36)}`,
      refusal,
      startedAt: now,
      channel: this.settings.channel,
      ts: null,
      clearedAt: null,
      clearedWithChange: false,
    };
  }

  /**
   * The render the MCO last accepted, from the rendered MachineConfig each pool is given (its spec target); null
   * when no pool's is known (no pool followed, or none readable: said in the log).
   */
  private async acceptedFromPools(): Promise<RenderedConfig | null> {
    const { sources } = this.deps;
    const texts: Array<string | null> = [];
    for (const p of sources.pools()) {
      const name = p.spec.configuration?.name;
      if (name === undefined) continue;
      try {
        const t = await sources.renderedRegistriesConf(name);
        if (t !== undefined) texts.push(t);
      } catch (e) {
        this.deps.logger.warn({ err: errorText(e), rendered: name }, 'rollout notifier: rendered config unreadable');
      }
    }
    return acceptedFromRendered(texts);
  }

  /** The open refusal: its one message, and the resolved reply in its thread once the MCO accepts again. */
  private async followRefusal(): Promise<void> {
    const state = this.state!;
    const f = state.refusal ?? null;
    if (f === null) return;
    const { chat } = this.deps;
    if (f.clearedAt !== null) {
      if (f.ts !== null) await chat.reply(f.channel, f.ts, refusalClearedReply(f.clearedWithChange));
      state.refusal = null;
      await this.save();
      return;
    }
    if (f.ts !== null) {
      if ((f.followUp ?? null) === null) return;
      // the message shows the current refusal; the thread says what changed (an edit alone notifies nobody)
      await chat.update(f.channel, f.ts, refusalMessage(this.settings.cluster, f.refusal, { followedUp: true }));
      await chat.reply(f.channel, f.ts, refusalChangedReply(f.followUp!));
      f.followUp = null;
      f.followedUp = true;
      await this.save();
      return;
    }
    // not posted yet (Slack failed): the one message is the current refusal, no follow-up needed
    const posted = await chat.post(f.channel, refusalMessage(this.settings.cluster, f.refusal));
    f.ts = posted.ts;
    f.channel = posted.channel;
    f.followUp = null;
    await this.save();
  }

  private async closeSuperseded(r: RolloutRecord): Promise<void> {
    if (r.ts === null) return;
    const { chat } = this.deps;
    await chat.reply(r.channel, r.ts, supersededReply());
    const msg = noticeMessage({
      cluster: this.settings.cluster,
      change: r.change,
      pools: [],
      phase: 'superseded',
      startedAt: r.startedAt,
    });
    await chat.update(r.channel, r.ts, msg);
    r.lastHeader = msg.text;
    await this.save();
  }

  private async progressOf(r: RolloutRecord): Promise<RolloutProgress> {
    const { sources, clock } = this.deps;
    const pools = sources.pools();
    const texts = new Map<string, string | null>();
    for (const name of new Set(
      pools.map((p) => p.spec.configuration?.name).filter((n): n is string => n !== undefined),
    )) {
      const t = await sources.renderedRegistriesConf(name);
      if (t !== undefined) texts.set(name, t);
    }
    const now = clock.now();
    const age = now - r.startedAt;
    const nodes = sources.nodes();
    const targetHasChange = (t: string | undefined): boolean =>
      t !== undefined && texts.has(t) && renderedHasChange(texts.get(t)!, r.change.after, r.change.changedSources);
    // The stall check's memory: recomputed from the caches every pass, persisted only when it moved.
    const marks = trackProgress(r.marks, { pools, nodes, targetHasChange }, now);
    if (JSON.stringify(marks) !== JSON.stringify(r.marks ?? emptyMarks())) {
      r.marks = marks;
      await this.save();
    }
    const progress = assessRollout({
      pools,
      nodes,
      targetHasChange,
      renderOverdue: age >= this.settings.renderTimeoutMs,
      rejection: this.rejectionOf(r),
      stall: { marks, now, limitMs: this.settings.stallMs },
    });
    if (
      !progress.complete &&
      age < this.settings.renderTimeoutMs &&
      progress.pools.some((p) => p.state === 'waiting-render')
    )
      this.afterOnce(`render:${r.id}`, this.settings.renderTimeoutMs - age + 10);
    const stallAt = progress.complete ? null : nextStallCheck(marks, this.settings.stallMs, now);
    if (stallAt !== null) this.wakeAt(`stall:${r.id}`, stallAt + 10);
    return progress;
  }

  /**
   * Why a rollout's render is overdue. A refusal that came after it counts: the MCO then writes nothing, so a change
   * not yet in the generated MachineConfig when the refusal came never gets there until the objects are fixed.
   */
  private rejectionOf(r: RolloutRecord): string {
    const open = this.state!.refusal ?? null;
    if (open === null || open.clearedAt !== null || r.change.after.error !== null)
      return likelyRejection(r.change.after);
    return laterRefusal(open.refusal.error);
  }

  /** One rollout, one pass: post if not yet, stuck/resolved replies, completion, header edit. */
  private async follow(r: RolloutRecord): Promise<void> {
    const { chat, clock } = this.deps;
    const progress = await this.progressOf(r);
    if (r.ts === null) {
      const msg = noticeMessage({
        cluster: this.settings.cluster,
        change: r.change,
        pools: progress.pools,
        phase: 'rolling-out',
        startedAt: r.startedAt,
      });
      const posted = await chat.post(r.channel, msg);
      r.ts = posted.ts;
      r.channel = posted.channel;
      r.lastHeader = msg.text;
      r.lastUpdateAt = clock.now();
      await this.save();
    }
    const ts = r.ts;
    // Stuck items: each said once; a reply when it clears.
    const now = new Map(progress.stuck.map((s) => [s.key, s.text]));
    for (const [key, text] of Object.entries(r.openStuck)) {
      if (now.has(key)) continue;
      await chat.reply(r.channel, ts, resolvedReply(text));
      delete r.openStuck[key];
      await this.save();
    }
    for (const [key, text] of now) {
      if (Object.hasOwn(r.openStuck, key)) continue;
      await chat.reply(r.channel, ts, stuckReply(text));
      r.openStuck[key] = text;
      await this.save();
    }
    if (progress.complete) {
      const doneAt = clock.now();
      await chat.reply(r.channel, ts, doneReply(progress.pools, doneAt - r.startedAt));
      r.doneAt = doneAt;
      r.doneTargets = Object.fromEntries(
        progress.pools.filter((p) => p.target !== null).map((p) => [p.pool, p.target!]),
      );
      delete r.marks;
      await this.save();
    }
    const phase: NoticePhase =
      r.doneAt !== null ? 'done' : Object.keys(r.openStuck).length > 0 ? 'stuck' : 'rolling-out';
    const msg = noticeMessage({
      cluster: this.settings.cluster,
      change: r.change,
      pools: progress.pools,
      phase,
      startedAt: r.startedAt,
      ...(r.doneAt !== null ? { doneAt: r.doneAt } : {}),
    });
    if (msg.text === r.lastHeader) return;
    const phaseChanged = r.lastHeader?.split('\n')[0] !== msg.text.split('\n')[0];
    const wait = r.lastUpdateAt + this.settings.updateIntervalMs - clock.now();
    if (!phaseChanged && wait > 0) {
      this.afterOnce(`update:${r.id}`, wait);
      return;
    }
    await chat.update(r.channel, ts, msg);
    r.lastHeader = msg.text;
    r.lastUpdateAt = clock.now();
    await this.save();
  }

  /** Per pool: is the current mirror configuration on every node, progress, stuck reasons (for /icsp status). */
  async poolStatus(): Promise<PoolStatus[]> {
    const { sources } = this.deps;
    const expected = renderForRollout(sources.policies().policies);
    const pools = sources.pools();
    const texts = new Map<string, string | null>();
    for (const p of pools) {
      const name = p.spec.configuration?.name;
      if (name === undefined || texts.has(name)) continue;
      try {
        const t = await sources.renderedRegistriesConf(name);
        if (t !== undefined) texts.set(name, t);
      } catch {
        // unreadable: said in the line
      }
    }
    const lines = poolStatusLines(pools, sources.nodes(), expected, (n) => texts.get(n));
    const open = (this.state?.rollouts ?? []).filter(isActive).flatMap((r) => Object.values(r.openStuck));
    return open.length === 0
      ? lines
      : lines.map((l) => ({
          ...l,
          detail:
            `${l.detail}` +
            (open.some((t) => t.includes(`pool ${l.pool}`) || t.includes(`[pool ${l.pool}]`))
              ? ' (stuck, see the rollout thread)'
              : ''),
        }));
  }

  /** The state as last loaded or written (tests). */
  get currentState(): NotifierState | null {
    return this.state;
  }
}
