// Where a mirror rollout stands, from the pools, their target rendered configs and the nodes: per-pool progress
// (the rollout-complete rule of rollout-state.ts), completion, and what is stuck (paused or degraded pools, nodes
// degraded or stuck in their update, a pool that stalled, a rendered config that never picks the change up). Pure
// and level-triggered: the same inputs always give the same answer, whatever events led to them. Time enters only
// through `now` and the progress marks (when each pool last progressed, since when each node is Working), which
// the caller persists so that a restart keeps counting from the same instants.
import { formatDuration } from './rollout-notice.ts';
import { evaluatePool, rolloutComplete } from './rollout-state.ts';
import type { PoolRollout } from './rollout-state.ts';
import { MCO_ANNOTATIONS } from '../types/machineconfig.ts';
import type { MachineConfigPool, NodeLite } from '../types/machineconfig.ts';

export interface StuckItem {
  /**
   * Stable identity: "paused:worker", "degraded:worker", "stalled:worker", "node:worker-1", "working:worker-1",
   * "render".
   */
  key: string;
  text: string;
}

export interface RolloutProgress {
  pools: PoolRollout[];
  complete: boolean;
  stuck: StuckItem[];
}

export interface ProgressInput {
  pools: readonly MachineConfigPool[];
  nodes: readonly NodeLite[];
  /** Whether the rendered MC named `target` carries the change (undefined target: the pool has none). */
  targetHasChange: (target: string | undefined) => boolean;
  /** The render time limit has passed (the change is not in some pool's target yet). */
  renderOverdue: boolean;
  /** Said when the render is overdue: the likely cause (MCO validation, payload filter). */
  rejection: string;
  /** Stall check: the marks (from trackProgress for the same pools and nodes), the time now and the limit. */
  stall?: { marks: ProgressMarks; now: number; limitMs: number };
}

/**
 * When each pool last made progress and since when each node has been Working: what the stall check needs to
 * remember. JSON, persisted with the rollout. `pools[name].mark` is the pool's progress fingerprint (target,
 * updated count, nodes done on the target); `since` is when it was first seen with that fingerprint.
 * `working[node]` is when the node was first seen Working towards `desired`.
 */
export interface ProgressMarks {
  pools: Record<string, { mark: string; since: number }>;
  working: Record<string, { desired: string; since: number }>;
}

export const emptyMarks = (): ProgressMarks => ({ pools: {}, working: {} });

type Selector = MachineConfigPool['spec']['nodeSelector'];

/** metav1.LabelSelector semantics (matchLabels and matchExpressions In/NotIn/Exists/DoesNotExist). */
export function selectorMatches(sel: Selector, labels: Record<string, string>): boolean {
  if (sel === undefined) return false;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const val = labels[e.key];
    switch (e.operator) {
      case 'In':
        if (!has || !(e.values ?? []).includes(val!)) return false;
        break;
      case 'NotIn':
        if (has && (e.values ?? []).includes(val!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

export function nodesOfPool(pool: MachineConfigPool, nodes: readonly NodeLite[]): NodeLite[] {
  return nodes.filter((n) => selectorMatches(pool.spec.nodeSelector, n.metadata.labels ?? {}));
}

/** A node whose machine-config daemon gave up: state Degraded or Unreconcilable, with its reason annotation. */
export function stuckNode(n: NodeLite): StuckItem | undefined {
  const a = n.metadata.annotations ?? {};
  const state = a[MCO_ANNOTATIONS.state];
  if (state !== 'Degraded' && state !== 'Unreconcilable') return undefined;
  const reason = a[MCO_ANNOTATIONS.reason];
  return {
    key: `node:${n.metadata.name}`,
    text:
      `node ${n.metadata.name} is ${state}${reason ? `: ${reason}` : ''} (desired ` +
      `${a[MCO_ANNOTATIONS.desiredConfig] ?? '?'}, current ${a[MCO_ANNOTATIONS.currentConfig] ?? '?'})`,
  };
}

const ann = (n: NodeLite, k: keyof typeof MCO_ANNOTATIONS): string | undefined =>
  n.metadata.annotations?.[MCO_ANNOTATIONS[k]];

/** The machine-config daemon is applying a config: state Working and currentConfig != desiredConfig. */
function workingTowards(n: NodeLite): string | undefined {
  const desired = ann(n, 'desiredConfig');
  if (ann(n, 'state') !== 'Working' || desired === undefined || desired === ann(n, 'currentConfig')) return undefined;
  return desired;
}

/** A node is done with target `t`: current == desired == t and state Done. */
const nodeOnTarget = (n: NodeLite, t: string | null): boolean =>
  t !== null && ann(n, 'currentConfig') === t && ann(n, 'desiredConfig') === t && ann(n, 'state') === 'Done';

/** Pools of the input, each with its evaluation (same order as assessRollout). */
function evaluated(
  input: Pick<ProgressInput, 'pools' | 'targetHasChange'>,
): Array<{ pool: MachineConfigPool; r: PoolRollout }> {
  return [...input.pools]
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))
    .map((pool) => ({ pool, r: evaluatePool(pool, input.targetHasChange(pool.spec.configuration?.name)) }));
}

/** The progress fingerprint of a pool: it changes when the target moves, the updated count moves or a node finishes. */
export function progressMark(pool: MachineConfigPool, nodes: readonly NodeLite[]): string {
  const target = pool.spec.configuration?.name ?? null;
  const done = nodesOfPool(pool, nodes)
    .filter((n) => nodeOnTarget(n, target))
    .map((n) => n.metadata.name)
    .sort();
  return JSON.stringify([target, pool.status?.updatedMachineCount ?? 0, done]);
}

/**
 * The marks for now, from the previous ones: a pool that is progressing keeps its `since` while its fingerprint
 * is unchanged (otherwise it progressed: since = now); pools not progressing (done, empty, paused, degraded,
 * waiting for a render) are not tracked, so the clock starts again when they resume. A node keeps its Working
 * `since` while it works towards the same desired config. The result equals `prev` (same JSON) when nothing moved.
 */
export function trackProgress(
  prev: ProgressMarks | undefined,
  input: Pick<ProgressInput, 'pools' | 'nodes' | 'targetHasChange'>,
  now: number,
): ProgressMarks {
  const next = emptyMarks();
  for (const { pool, r } of evaluated(input)) {
    if (r.state !== 'progressing') continue;
    const mark = progressMark(pool, input.nodes);
    const old = prev?.pools[r.pool];
    next.pools[r.pool] = old !== undefined && old.mark === mark ? old : { mark, since: now };
  }
  const names = new Set<string>();
  for (const pool of input.pools) for (const n of nodesOfPool(pool, input.nodes)) names.add(n.metadata.name);
  for (const n of input.nodes) {
    const name = n.metadata.name;
    if (!names.has(name)) continue;
    const desired = workingTowards(n);
    if (desired === undefined) continue;
    const old = prev?.working[name];
    next.working[name] = old !== undefined && old.desired === desired ? old : { desired, since: now };
  }
  // Stable key order: the caller compares JSON to decide whether to persist.
  return {
    pools: Object.fromEntries(Object.entries(next.pools).sort(([a], [b]) => (a < b ? -1 : 1))),
    working: Object.fromEntries(Object.entries(next.working).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
}

/** The next instant at which a stall item can appear (a wake-up for the level-triggered check), or null. */
export function nextStallCheck(marks: ProgressMarks, limitMs: number, now: number): number | null {
  const due = [...Object.values(marks.pools), ...Object.values(marks.working)]
    .map((m) => m.since + limitMs)
    .filter((t) => t > now);
  return due.length === 0 ? null : Math.min(...due);
}

/** "30 min", "1 h 5 min", "45 s": a rounded span for stuck texts. */
export function shortDuration(ms: number): string {
  return formatDuration(ms)
    .replace(/ 0 s$/, '')
    .replace(/ 0 min$/, '');
}

const iso = (t: number): string => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Pools with no progress for the limit, and nodes Working for longer than it. */
function stallItems(input: ProgressInput, pools: Array<{ pool: MachineConfigPool; r: PoolRollout }>): StuckItem[] {
  const { marks, now, limitMs } = input.stall!;
  const out: StuckItem[] = [];
  for (const { pool, r } of pools) {
    const m = marks.pools[r.pool];
    if (r.state !== 'progressing' || m === undefined || now - m.since < limitMs) continue;
    const members = nodesOfPool(pool, input.nodes);
    const updating = members
      .filter((n) => ann(n, 'desiredConfig') === r.target && !nodeOnTarget(n, r.target))
      .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
    const waiting = members.filter((n) => ann(n, 'desiredConfig') !== r.target).length;
    const described = updating.map((n) => {
      const w = marks.working[n.metadata.name];
      const state = ann(n, 'state') ?? 'unknown';
      return (
        `${n.metadata.name} (state ${state}` +
        `${w !== undefined && state === 'Working' ? ` since ${iso(w.since)}` : ''})`
      );
    });
    const still =
      described.length > 0 ? described.join(', ') : 'none (the node controller has not started the next node)';
    out.push({
      key: `stalled:${r.pool}`,
      text:
        `pool ${r.pool}: no progress for ${shortDuration(now - m.since)} at ${r.updated}/${r.total} updated; ` +
        `nodes still updating: ${still}${waiting > 0 ? `; ${waiting} node(s) not yet given the new config` : ''}`,
    });
  }
  const seen = new Set<string>();
  for (const pool of input.pools) {
    for (const n of nodesOfPool(pool, input.nodes)) {
      const name = n.metadata.name;
      const w = marks.working[name];
      if (seen.has(name) || w === undefined || workingTowards(n) !== w.desired || now - w.since < limitMs) continue;
      seen.add(name);
      out.push({
        key: `working:${name}`,
        text:
          `node ${name} is stuck in its update: state Working ` +
          `for ${shortDuration(now - w.since)} (since ${iso(w.since)}), ` +
          `desired ${w.desired}, current ${ann(n, 'currentConfig') ?? '?'} [pool ${pool.metadata.name}]`,
      });
    }
  }
  return out;
}

export function assessRollout(input: ProgressInput): RolloutProgress {
  const withPools = evaluated(input);
  const pools = withPools.map((e) => e.r);
  const stuck: StuckItem[] = [];
  for (const p of pools) {
    if (p.state === 'paused') stuck.push({ key: `paused:${p.pool}`, text: p.reasons.join('; ') });
    if (p.state === 'degraded')
      stuck.push({ key: `degraded:${p.pool}`, text: `pool ${p.pool} is degraded: ${p.reasons.join('; ')}` });
  }
  const seen = new Set<string>();
  for (const pool of input.pools) {
    for (const n of nodesOfPool(pool, input.nodes)) {
      const s = stuckNode(n);
      if (s !== undefined && !seen.has(s.key)) {
        seen.add(s.key);
        stuck.push({ ...s, text: `${s.text} [pool ${pool.metadata.name}]` });
      }
    }
  }
  if (input.renderOverdue && pools.some((p) => p.state === 'waiting-render')) {
    const waiting = pools
      .filter((p) => p.state === 'waiting-render')
      .map((p) => `${p.pool} (${p.target ?? 'no target'})`);
    stuck.push({
      key: 'render',
      text: `the rendered config of ${waiting.join(', ')} never picked the change up: ${input.rejection}`,
    });
  }
  if (input.stall !== undefined) stuck.push(...stallItems(input, withPools));
  return { pools, complete: pools.length > 0 && rolloutComplete(pools), stuck };
}
