// The triage channel (ICSP_TRIAGE_CHANNEL): tells the channel about pods that cannot pull before anyone asks.
// Events of failed pulls arrive from a field-selected watch; each is classified (image, cause) from what the
// node said and the plan of its pool; one message per (image, cause) gathers the burst and is edited as it
// grows; when the pods pull (or are gone) the thread says so. State is persisted after every change (restart-safe:
// a known pod or cause is never said twice), only the Lease holder posts, and a per-channel rate limit holds
// back what exceeds it, listed in one summary message. Held causes are checked for resolution too: one fixed while
// held leaves the summary (its thread says so) and is never posted on its own.
import {
  applyPosted,
  applyUpdated,
  dueActions,
  emptyTriageState,
  groupCounts,
  podsToCheck,
  recordFailure,
  resolvePods,
} from '../domain/triage/triage-groups.ts';
import type { PullFailure, TriageGroup, TriageState } from '../domain/triage/triage-groups.ts';
import type { ChatSink } from '../ports/chat-sink.ts';
import { errorText } from '../domain/error-text.ts';
import type { Clock } from '../ports/clock.ts';
import { systemClock } from '../ports/clock.ts';
import type {
  KubeletPullEvent,
  PodPullProbe,
  PullEventSource,
  PullFailureClassifier,
  TriageStateStore,
} from '../ports/pull-events.ts';

export interface TriageNotifierSettings {
  channel: string;
  cluster: string;
  /** Namespaces watched (exact names or prefixes ending in *); empty: all. */
  includeNamespaces: string[];
  excludeNamespaces: string[];
  maxPostsPerHour: number;
  updateIntervalMs: number;
  /** How often queued events are handled and messages sent. */
  tickMs: number;
  /** How often open groups' pods are checked for a successful pull. */
  resolveIntervalMs: number;
}

export interface TriageLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface TriageNotifierDeps {
  events: PullEventSource;
  classifier: PullFailureClassifier;
  probe: PodPullProbe;
  chat: ChatSink;
  store: TriageStateStore;
  /** The rollout notices' Lease: only its holder posts. Absent: this is the only replica. */
  leadership?: { readonly isLeader: boolean };
  clock?: Clock;
  logger?: TriageLogger;
}

const QUEUE_MAX = 10_000;
const CACHE_MAX = 500;
/** Distinct message texts kept for interning (a few kilobytes each at most). */
const MESSAGES_MAX = 2_000;

export function namespaceMatches(ns: string, patterns: string[]): boolean {
  return patterns.some((p) => (p.endsWith('*') ? ns.startsWith(p.slice(0, -1)) : ns === p));
}

/** The quoted image of a kubelet message ("Back-off pulling image "X"", "Failed to pull image "X": …"). */
function quotedImage(message: string): string | null {
  const m = /(?:pulling|pull|inspect) image "([^"\s]+)"/.exec(message);
  return m?.[1] ?? null;
}

function openGroupsByImage(s: TriageState): Map<string, TriageGroup[]> {
  const m = new Map<string, TriageGroup[]>();
  for (const g of Object.values(s.groups)) {
    if (g.resolvedAt !== null) continue;
    const list = m.get(g.image);
    if (list === undefined) m.set(g.image, [g]);
    else list.push(g);
  }
  return m;
}

export class TriageNotifier {
  private readonly deps: TriageNotifierDeps & { clock: Clock };
  private readonly settings: TriageNotifierSettings;
  private state: TriageState = emptyTriageState();
  private readonly queue: KubeletPullEvent[] = [];
  private readonly classified = new Map<string, PullFailure | null>();
  private readonly messages = new Map<string, string>();
  private readonly roomWaiters: Array<() => void> = [];
  private readonly drainWaiters: Array<() => void> = [];
  private timer: unknown;
  private running = false;
  private stopped = false;
  private lastResolveAt = 0;
  private dirty = false;
  private wasLeader = false;
  /** Events dropped because the queue was full. */
  dropped = 0;
  /** Passes done (tests wait on it). */
  passes = 0;

  /** Events waiting for the next pass (benches wait for 0). */
  get queued(): number {
    return this.queue.length;
  }

  constructor(deps: TriageNotifierDeps, settings: TriageNotifierSettings) {
    this.deps = { ...deps, clock: deps.clock ?? systemClock };
    this.settings = settings;
  }

  private get leader(): boolean {
    return this.deps.leadership?.isLeader ?? true;
  }

  async start(): Promise<void> {
    this.state = await this.deps.store.load();
    this.wasLeader = this.leader;
    // passes run while the events are listed: a large list waits for room in the queue (room())
    this.schedule();
    await this.deps.events.start((e) => this.onEvent(e));
  }

  stop(): void {
    this.stopped = true;
    this.deps.events.stop();
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.wakeWaiters();
  }

  /**
   * Resolves when the queue is at most half full (or the notifier stopped): the event source waits on it between
   * list pages, so listing 50,000 events drops none (the queue holds QUEUE_MAX and drops the oldest beyond).
   */
  room(): Promise<void> {
    if (this.hasRoom()) return Promise.resolve();
    return new Promise((r) => this.roomWaiters.push(r));
  }

  private hasRoom(): boolean {
    return this.stopped || this.queue.length <= QUEUE_MAX / 2;
  }

  /** After a pass (or stop): the event source waiting for room, and those waiting for an empty queue. */
  private wakeWaiters(): void {
    if (this.hasRoom()) for (const w of this.roomWaiters.splice(0)) w();
    if (this.stopped || this.queue.length === 0) for (const w of this.drainWaiters.splice(0)) w();
  }

  /** Resolves after a pass that left the queue empty (or when the notifier stopped). */
  drained(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((r) => this.drainWaiters.push(r));
  }

  /** Runs one pass now (tests); resolves when it is done. */
  async pass(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.work();
    } finally {
      this.running = false;
      this.passes++;
      this.wakeWaiters();
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.deps.clock.setTimeout(() => {
      void this.pass().finally(() => this.schedule());
    }, this.settings.tickMs);
  }

  private onEvent(e: KubeletPullEvent): void {
    if (this.settings.includeNamespaces.length > 0 && !namespaceMatches(e.namespace, this.settings.includeNamespaces))
      return;
    if (namespaceMatches(e.namespace, this.settings.excludeNamespaces)) return;
    if (this.queue.length >= QUEUE_MAX) {
      this.queue.shift();
      this.dropped++;
    }
    this.queue.push({ ...e, message: this.interned(e.message) });
  }

  /**
   * One copy of each message text: a burst repeats the same few texts (up to kilobytes each) on thousands of
   * events, and a queued event waits for the next pass, long enough for V8 to move it to the old space, where
   * 50,000 private copies stayed as garbage until the next full collection. Bounded: cleared when full.
   */
  private interned(message: string): string {
    const known = this.messages.get(message);
    if (known !== undefined) return known;
    if (this.messages.size >= MESSAGES_MAX) this.messages.clear();
    this.messages.set(message, message);
    return message;
  }

  private async work(): Promise<void> {
    const leader = this.leader;
    if (!leader) {
      // another replica posts; what arrives here is its business
      this.queue.length = 0;
      this.wasLeader = false;
      return;
    }
    if (!this.wasLeader) {
      // just took over: the other replica may have written since
      this.state = await this.deps.store.load();
      this.wasLeader = true;
    }
    const now = this.deps.clock.now();
    const chat = this.deps.chat;
    const channel = this.settings.channel;
    const replies: Array<{ ts: string; text: string }> = [];
    // the open groups by image, for back-off events (one list per pass, not one per event); rebuilt when a group
    // opens (or is pruned, which only a new group does)
    let openByImage: Map<string, TriageGroup[]> | null = null;
    while (this.queue.length > 0) {
      const e = this.queue.shift() as KubeletPullEvent;
      const failure = await this.classify(e);
      if (failure !== null) {
        const r = recordFailure(this.state, failure, now, e.at ?? null);
        if (r !== 'known') this.dirty = true;
        if (r === 'new-group' || r === 'reopened') openByImage = null;
        const g = this.state.groups[`${failure.cause} ${failure.image}`];
        if (r === 'reopened' && g?.ts != null)
          replies.push({
            ts: g.ts,
            text:
              `:rotating_light: failing again: ${e.namespace}/${e.pod} ` +
              `on ${e.node ?? 'its node'} (${failure.cause})`,
          });
        continue;
      }
      // a back-off without error text: a pod not yet known joins the open group of its image, when there is one
      const image = e.reason === 'BackOff' ? quotedImage(e.message) : null;
      if (image === null) continue;
      openByImage ??= openGroupsByImage(this.state);
      const open = openByImage.get(image) ?? [];
      const g = open[0];
      if (g === undefined || open.length !== 1 || open.some((x) => x.pods[`${e.namespace}/${e.pod}`] !== undefined))
        continue;
      const r = recordFailure(
        this.state,
        {
          namespace: e.namespace,
          pod: e.pod,
          container: e.container,
          node: e.node,
          image,
          cause: g.cause,
          headline: g.headline,
          fix: g.fix,
          rolloutLink: g.rolloutLink,
        },
        now,
        e.at ?? null,
      );
      if (r !== 'known') this.dirty = true;
    }
    if (now - this.lastResolveAt >= this.settings.resolveIntervalMs) {
      this.lastResolveAt = now;
      // held causes resolved before they were posted: one reply in the summary's thread (the summary listed them)
      const heldResolved: string[] = [];
      for (const { key, pods, held } of podsToCheck(this.state, {
        now,
        maxPostsPerHour: this.settings.maxPostsPerHour,
      })) {
        // A group resolves only when all its pods pull: the first pod still failing settles it for this pass, so
        // a cause not fixed yet costs one read per group, however many pods it holds (flat idle API requests).
        // Pods found pulling are marked and not read again; the one still failing is read first next time.
        const done: string[] = [];
        for (const p of pods) {
          const s = await this.deps.probe.state(p.namespace, p.name, null).catch(() => 'failing' as const);
          if (s === 'failing') break;
          done.push(`${p.namespace}/${p.name}`);
        }
        if (done.length === 0) continue;
        this.dirty = true;
        const g = this.state.groups[key];
        // counted before resolvePods, which clears the count of pods not kept by name
        const c = g !== undefined ? groupCounts(g) : null;
        if (!resolvePods(this.state, key, done, now) || g === undefined || c === null) continue;
        const which = c.atLeast ? `all ${c.pods}+` : `the ${c.pods}`;
        if (held) {
          heldResolved.push(`• \`${g.image}\` (${g.cause}): ${which} pod(s) pull now or are gone`);
          this.deps.logger?.info({ group: key }, 'triage: a held cause resolved before it was posted');
        } else if (g.ts !== null)
          replies.push({
            ts: g.ts,
            text:
              `:white_check_mark: resolved: ${which} pod(s) that could ` +
              `not pull \`${g.image}\` (${g.cause}) pull now or are gone`,
          });
      }
      // no summary posted yet: nobody saw these causes, they are dropped silently (never posted)
      if (heldResolved.length > 0 && this.state.summary.ts !== null)
        replies.push({
          ts: this.state.summary.ts,
          text:
            ':white_check_mark: resolved while held back by the rate limit (so never posted on their own):\n' +
            heldResolved.join('\n'),
        });
    }
    try {
      // a held cause is posted only once the resolution check read its pods (heldCheckedSince)
      const o = { ...this.settings, heldCheckedSince: this.lastResolveAt };
      for (const a of dueActions(this.state, now, this.settings.cluster, o)) {
        if (a.kind === 'post') {
          const p = await chat.post(channel, { text: a.text });
          applyPosted(this.state, a.key, p.ts, a.text, now);
          this.deps.logger?.info({ group: a.key, ts: p.ts }, 'triage: posted');
        } else if (a.kind === 'update') {
          const ts = this.state.groups[a.key]?.ts;
          if (ts == null) continue;
          await chat.update(channel, ts, { text: a.text });
          applyUpdated(this.state, a.key, a.text, now);
        } else if (this.state.summary.ts === null) {
          this.state.summary.ts = (await chat.post(channel, { text: a.text })).ts;
          this.state.summary.lastText = a.text;
          this.state.posts.push(now);
        } else {
          await chat.update(channel, this.state.summary.ts, { text: a.text });
          this.state.summary.lastText = a.text;
        }
        this.dirty = true;
      }
      for (const r of replies) await chat.reply(channel, r.ts, { text: r.text });
    } catch (err) {
      this.deps.logger?.warn({ err: errorText(err) }, 'triage: Slack call failed; retried next pass');
    }
    if (this.dirty) {
      try {
        await this.deps.store.save(this.state);
        this.dirty = false;
      } catch (err) {
        this.deps.logger?.warn({ err: errorText(err) }, 'triage: state not saved; retried next pass');
      }
    }
  }

  private async classify(e: KubeletPullEvent): Promise<PullFailure | null> {
    // a burst repeats one message on many pods: classify each (node, message) once
    const key = `${e.node ?? ''}\n${e.reason}\n${e.message}`;
    let f = this.classified.get(key);
    if (f === undefined) {
      f = await this.deps.classifier.classify(e).catch(() => null);
      if (this.classified.size >= CACHE_MAX) this.classified.delete(this.classified.keys().next().value as string);
      this.classified.set(key, f);
    }
    return f === null ? null : { ...f, namespace: e.namespace, pod: e.pod, container: e.container, node: e.node };
  }
}
