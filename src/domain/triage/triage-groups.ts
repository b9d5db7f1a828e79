// The triage channel's memory and decisions (pure): one group per (image, cause) gathering every pod that fails
// that way, the one message that says it (posted once, edited as the group grows, resolved in its thread), and a
// per-channel rate limit with one summary message for what it holds back. The state is persisted (restart-safe),
// so a cause is never said twice; a relist after a watch expiry re-adds pods already known, which changes nothing,
// and re-delivers the old failures of pods that pull by now, which must not reopen their message.
import type { TriageCause } from './triage-verdict.ts';

export interface PullFailure {
  namespace: string;
  pod: string;
  container: string | null;
  node: string | null;
  image: string;
  cause: TriageCause;
  headline: string;
  fix: string[];
  /** The rollout notice to point at when the cause is a mirror change still rolling out. */
  rolloutLink: string | null;
}

export interface PodEntry {
  namespace: string;
  name: string;
  node: string | null;
  resolved: boolean;
  /** When the bot saw it pull (or gone); absent in state written before this field existed. */
  resolvedAt?: number;
}

export interface TriageGroup {
  key: string;
  image: string;
  cause: TriageCause;
  headline: string;
  fix: string[];
  rolloutLink: string | null;
  /** "ns/name" -> entry; bounded (MAX_PODS); pods beyond are counted in extraPods. */
  pods: Record<string, PodEntry>;
  /**
   * At least this many pods beyond those in `pods` (a lower bound: pods not kept by name cannot be told apart from
   * a repeated event of one already counted, so repeats never raise it; the texts say "at least").
   */
  extraPods: number;
  /** The channel message; null until posted. */
  ts: string | null;
  /** The text last sent, so only real changes are edited in. */
  lastText: string | null;
  firstAt: number;
  lastAt: number;
  lastUpdateAt: number;
  resolvedAt: number | null;
  /** Held back by the rate limit (listed in the summary instead). */
  held: boolean;
  /**
   * When the resolution check last read a held group's pods: a held group is posted only after a check (it must not
   * announce a failure that resolved while it was held), and the held groups are checked in turn, oldest first.
   * Absent in state written before this field existed (and on groups never held).
   */
  checkedAt?: number;
}

export interface TriageState {
  version: 1;
  groups: Record<string, TriageGroup>;
  /** Times of the channel posts of the last hour (rate limit). */
  posts: number[];
  summary: { ts: string | null; lastText: string | null };
}

export const MAX_PODS = 200;
export const MAX_GROUPS = 300;

export const emptyTriageState = (): TriageState => ({
  version: 1,
  groups: {},
  posts: [],
  summary: { ts: null, lastText: null },
});

export function groupKey(image: string, cause: TriageCause): string {
  return `${cause} ${image}`;
}

export type RecordResult = 'new-group' | 'new-pod' | 'known' | 'reopened';

/**
 * Adds a failing pod to its group; idempotent for pods already known (relists, repeated events). `seenAt` is when
 * the kubelet last saw the failure (the event's last timestamp): a pod that pulled since is not failing *again*
 * when a relist re-delivers that old event; null (unknown) counts as new.
 */
export function recordFailure(s: TriageState, f: PullFailure, now: number, seenAt: number | null = null): RecordResult {
  const key = groupKey(f.image, f.cause);
  let g = s.groups[key];
  let result: RecordResult = 'known';
  if (g === undefined) {
    g = {
      key,
      image: f.image,
      cause: f.cause,
      headline: f.headline,
      fix: f.fix,
      rolloutLink: f.rolloutLink,
      pods: {},
      extraPods: 0,
      ts: null,
      lastText: null,
      firstAt: now,
      lastAt: now,
      lastUpdateAt: 0,
      resolvedAt: null,
      held: false,
    };
    s.groups[key] = g;
    result = 'new-group';
  }
  const podKey = `${f.namespace}/${f.pod}`;
  const known = g.pods[podKey];
  if (known?.resolved === true && seenAt !== null && known.resolvedAt !== undefined && seenAt <= known.resolvedAt)
    return 'known';
  if (known === undefined) {
    if (Object.keys(g.pods).length < MAX_PODS) {
      g.pods[podKey] = { namespace: f.namespace, name: f.pod, node: f.node, resolved: false };
      if (result === 'known') result = 'new-pod';
    } else if (g.extraPods === 0) {
      // the first pod over the bound; counting every further event would count a pod's every back-off again
      g.extraPods = 1;
      if (result === 'known') result = 'new-pod';
    }
  } else if (known.resolved) {
    known.resolved = false;
    delete known.resolvedAt;
    if (result === 'known') result = 'new-pod';
  }
  if (g.resolvedAt !== null && result !== 'known') {
    g.resolvedAt = null;
    result = 'reopened';
  }
  if (f.rolloutLink !== null) g.rolloutLink = f.rolloutLink;
  g.lastAt = now;
  // only a new group can take the state over MAX_GROUPS (and listing the keys at every event was garbage)
  if (result === 'new-group') pruneGroups(s);
  return result;
}

/** Resolved groups go first when the state grows too large. */
function pruneGroups(s: TriageState): void {
  const keys = Object.keys(s.groups);
  if (keys.length <= MAX_GROUPS) return;
  const byAge = keys
    .map((k) => s.groups[k] as TriageGroup)
    .sort((a, b) => (a.resolvedAt === null ? 1 : 0) - (b.resolvedAt === null ? 1 : 0) || a.lastAt - b.lastAt);
  for (const g of byAge.slice(0, keys.length - MAX_GROUPS)) delete s.groups[g.key];
}

export interface GroupCounts {
  pods: number;
  /** `pods` is a lower bound (more pods failed than the group keeps by name). */
  atLeast: boolean;
  failing: number;
  namespaces: string[];
  nodes: string[];
}

export function groupCounts(g: TriageGroup): GroupCounts {
  const pods = Object.values(g.pods);
  return {
    pods: pods.length + g.extraPods,
    atLeast: g.extraPods > 0,
    failing: pods.filter((p) => !p.resolved).length + g.extraPods,
    namespaces: [...new Set(pods.map((p) => p.namespace))].sort(),
    nodes: [...new Set(pods.map((p) => p.node).filter((n): n is string => n !== null))].sort(),
  };
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "12 pods", or "at least 201 pods" when the group has more pods than it keeps by name. */
export function podCountText(c: GroupCounts): string {
  return `${c.atLeast ? 'at least ' : ''}${plural(c.pods, 'pod')}`;
}

function short(list: string[], max = 8): string {
  return list.length <= max ? list.join(', ') : `${list.slice(0, max).join(', ')} and ${list.length - max} more`;
}

/** The channel message of a group (mrkdwn text). */
export function groupText(g: TriageGroup, cluster: string): string {
  const c = groupCounts(g);
  const head =
    g.resolvedAt !== null
      ? `:white_check_mark: *resolved*: \`${g.image}\` pulls again (${g.cause}; was ${podCountText(c)}` +
        ` in ${plural(c.namespaces.length, 'namespace')}, ${plural(c.nodes.length, 'node')})`
      : `:rotating_light: \`${g.image}\` cannot be pulled: *${g.cause}* — ${podCountText(c)} ` +
        `in ${plural(c.namespaces.length, 'namespace')}, ${plural(c.nodes.length, 'node')}`;
  const lines = [head, g.headline, ...g.fix.map((f) => `• ${f}`)];
  if (g.cause === 'rollout-pending')
    lines.push(
      g.rolloutLink !== null
        ? `:hourglass_flowing_sand: a mirror change is still rolling out: <${g.rolloutLink}|the rollout notice>`
        : ':hourglass_flowing_sand: a mirror change is still rolling out (see the rollout notices)',
    );
  lines.push(`namespaces: ${short(c.namespaces)} · nodes: ${short(c.nodes) || '(none yet)'} · cluster ${cluster}`);
  return lines.join('\n');
}

export interface TriageSettings {
  /** New channel messages per hour; more are held and listed in one summary message. */
  maxPostsPerHour: number;
  /** Edits of one message at most this often. */
  updateIntervalMs: number;
  /**
   * A held group is posted only when the resolution check read its pods at or after this time (the last check);
   * until then it keeps its place in the rate limit's budget. Absent: held groups are posted without a check.
   */
  heldCheckedSince?: number;
}

export type TriageAction =
  | { kind: 'post'; key: string; text: string }
  | { kind: 'update'; key: string; text: string }
  | { kind: 'summary'; text: string };

const HOUR = 3600_000;

/**
 * What to send now: posts for new groups (within the rate limit), edits of grown or resolved groups (throttled),
 * and the summary of held groups. The caller applies each action's result with applyPosted / applyUpdated.
 */
export function dueActions(s: TriageState, now: number, cluster: string, o: TriageSettings): TriageAction[] {
  s.posts = s.posts.filter((t) => now - t < HOUR);
  const actions: TriageAction[] = [];
  let budget = o.maxPostsPerHour - s.posts.length;
  const groups = Object.values(s.groups).sort((a, b) => a.firstAt - b.firstAt);
  // a group's text is built only when it can be sent: building all of them on every pass (every tick, for every
  // held or recently edited group) was most of the triage channel's transient heap at 50,000 events
  for (const g of groups) {
    if (g.ts === null) {
      if (g.resolvedAt !== null) continue;
      if (budget > 0) {
        budget--;
        // a held group keeps its slot (older causes first) until the resolution check has read its pods
        if (g.held && o.heldCheckedSince !== undefined && (g.checkedAt ?? -Infinity) < o.heldCheckedSince) continue;
        actions.push({ kind: 'post', key: g.key, text: groupText(g, cluster) });
        g.held = false;
      } else g.held = true;
      continue;
    }
    if (now - g.lastUpdateAt < o.updateIntervalMs && g.resolvedAt === null) continue;
    const text = groupText(g, cluster);
    if (text !== g.lastText) actions.push({ kind: 'update', key: g.key, text });
  }
  const held = groups.filter((g) => g.ts === null && g.held && g.resolvedAt === null);
  if (held.length > 0 || s.summary.ts !== null) {
    const text =
      held.length === 0
        ? ':information_source: the triage rate limit held nothing back any more'
        : `:warning: triage rate limit (${o.maxPostsPerHour} new messages per hour) ` +
          `reached: ${plural(held.length, 'more cause')} not posted on their own:\n${held
            .slice(0, 20)
            .map((g) => `• \`${g.image}\` — ${g.cause}, ${podCountText(groupCounts(g))}`)
            .join('\n')}${held.length > 20 ? `\n… and ${held.length - 20} more` : ''}`;
    if (text !== s.summary.lastText) actions.push({ kind: 'summary', text });
  }
  return actions;
}

export function applyPosted(s: TriageState, key: string, ts: string, text: string, now: number): void {
  const g = s.groups[key];
  if (g === undefined) return;
  g.ts = ts;
  g.lastText = text;
  g.lastUpdateAt = now;
  s.posts.push(now);
}

export function applyUpdated(s: TriageState, key: string, text: string, now: number): void {
  const g = s.groups[key];
  if (g === undefined) return;
  g.lastText = text;
  g.lastUpdateAt = now;
}

/** Marks pods that pull now (or are gone); returns the groups that became resolved by it. */
export function resolvePods(s: TriageState, key: string, done: string[], now: number): boolean {
  const g = s.groups[key];
  if (g === undefined || g.resolvedAt !== null) return false;
  for (const p of done) {
    const e = g.pods[p];
    if (e !== undefined) {
      e.resolved = true;
      e.resolvedAt = now;
    }
  }
  if (Object.values(g.pods).every((p) => p.resolved)) {
    g.extraPods = 0;
    g.resolvedAt = now;
    return true;
  }
  return false;
}

/** Held groups checked in turn per resolution pass, besides those the rate limit lets through now. */
export const HELD_CHECKS_PER_PASS = 3;

export interface CheckOptions {
  now: number;
  maxPostsPerHour: number;
  /** Pods listed per group (the caller reads them in order until one still fails). */
  perGroup?: number;
  heldPerPass?: number;
}

/**
 * The groups whose pods the resolution check reads now, with their pods still failing (bounded):
 *  - every posted open group;
 *  - the held groups the rate limit lets through now: checked before they are posted (dueActions waits for it), so
 *    a cause fixed while it was held is never announced;
 *  - in turn, the `heldPerPass` other held groups checked longest ago, so a held cause that is fixed leaves the
 *    summary while the API requests of an idle minute grow by a constant, however many causes are held.
 * Marks the held groups returned as checked at `now`.
 */
export function podsToCheck(s: TriageState, o: CheckOptions): Array<{ key: string; pods: PodEntry[]; held: boolean }> {
  const perGroup = o.perGroup ?? 50;
  const open = Object.values(s.groups).filter((g) => g.resolvedAt === null);
  const posted = open.filter((g) => g.ts !== null);
  // the same order and budget as dueActions: the unposted groups it would post now
  const budget = o.maxPostsPerHour - s.posts.filter((t) => o.now - t < HOUR).length;
  const unposted = open.filter((g) => g.ts === null).sort((a, b) => a.firstAt - b.firstAt);
  const due = unposted.slice(0, Math.max(0, budget)).filter((g) => g.held);
  const inTurn = unposted
    .filter((g) => g.held && !due.includes(g))
    .sort((a, b) => (a.checkedAt ?? 0) - (b.checkedAt ?? 0) || a.firstAt - b.firstAt)
    .slice(0, o.heldPerPass ?? HELD_CHECKS_PER_PASS);
  const held = [...due, ...inTurn];
  for (const g of held) g.checkedAt = o.now;
  const failing = (g: TriageGroup): PodEntry[] =>
    Object.values(g.pods)
      .filter((p) => !p.resolved)
      .slice(0, perGroup);
  return [
    ...posted.map((g) => ({ key: g.key, pods: failing(g), held: false })),
    ...held.map((g) => ({ key: g.key, pods: failing(g), held: true })),
  ];
}
