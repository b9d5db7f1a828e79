// Where a rollout stands (src/domain/rollout-progress.ts and rollout-state.ts): per-pool progress, completion,
// stuck items (paused, degraded, Degraded/Unreconcilable nodes, render overdue) and the stall check (no progress
// for the limit, a node Working for longer than it) computed from persisted marks and an explicit `now`.
import { describe, expect, it } from 'vitest';
import {
  assessRollout,
  emptyMarks,
  nextStallCheck,
  nodesOfPool,
  progressMark,
  selectorMatches,
  shortDuration,
  stuckNode,
  trackProgress,
} from '../../src/domain/rollout-progress.ts';
import type { ProgressInput, ProgressMarks } from '../../src/domain/rollout-progress.ts';
import type { MachineConfigPool, NodeLite } from '../../src/types/machineconfig.ts';

const OLD = 'rendered-worker-old';
const NEW = 'rendered-worker-new';
const MIN = 60_000;
const LIMIT = 30 * MIN;
const T0 = Date.parse('2026-03-01T10:00:00Z');

function pool(
  name: string,
  o: {
    updated?: number;
    total?: number;
    target?: string;
    paused?: boolean;
    degraded?: string;
    finished?: boolean;
  } = {},
): MachineConfigPool {
  const total = o.total ?? 3;
  const updated = o.updated ?? 0;
  const target = o.target ?? NEW;
  const finished = o.finished ?? false;
  return {
    apiVersion: 'machineconfiguration.openshift.io/v1',
    kind: 'MachineConfigPool',
    metadata: { name, generation: 2 },
    spec: {
      paused: o.paused ?? false,
      configuration: { name: target },
      nodeSelector: { matchLabels: { [`node-role.kubernetes.io/${name}`]: '' } },
    },
    status: {
      observedGeneration: 2,
      configuration: { name: finished ? target : OLD },
      machineCount: total,
      updatedMachineCount: updated,
      readyMachineCount: finished ? total : total - 1,
      unavailableMachineCount: finished ? 0 : 1,
      degradedMachineCount: 0,
      conditions: [
        { type: 'Updated', status: finished ? 'True' : 'False' },
        { type: 'Updating', status: finished ? 'False' : 'True' },
        { type: 'Degraded', status: o.degraded ? 'True' : 'False', ...(o.degraded ? { message: o.degraded } : {}) },
      ],
    },
  };
}

function node(name: string, role: string, current: string, desired: string, state: string, reason?: string): NodeLite {
  return {
    metadata: {
      name,
      labels: { [`node-role.kubernetes.io/${role}`]: '' },
      annotations: {
        'machineconfiguration.openshift.io/currentConfig': current,
        'machineconfiguration.openshift.io/desiredConfig': desired,
        'machineconfiguration.openshift.io/state': state,
        ...(reason !== undefined ? { 'machineconfiguration.openshift.io/reason': reason } : {}),
      },
    },
  };
}

const hasChange = (t: string | undefined): boolean => t === NEW;
const input = (pools: MachineConfigPool[], nodes: NodeLite[], extra: Partial<ProgressInput> = {}): ProgressInput => ({
  pools,
  nodes,
  targetHasChange: hasChange,
  renderOverdue: false,
  rejection: 'the machine-config-controller has not re-rendered',
  ...extra,
});

/** The three-node worker pool, 1/3 updated: worker-0 done, worker-1 Working, worker-2 not yet given the config. */
const midway = (): { pools: MachineConfigPool[]; nodes: NodeLite[] } => ({
  pools: [pool('worker', { updated: 1 })],
  nodes: [
    node('worker-0', 'worker', NEW, NEW, 'Done'),
    node('worker-1', 'worker', OLD, NEW, 'Working'),
    node('worker-2', 'worker', OLD, OLD, 'Done'),
  ],
});

describe('selectors and pool membership', () => {
  it('matchLabels and matchExpressions', () => {
    const sel = {
      matchLabels: { a: '1' },
      matchExpressions: [
        { key: 'b', operator: 'In', values: ['x', 'y'] },
        { key: 'c', operator: 'DoesNotExist' },
        { key: 'd', operator: 'Exists' },
        { key: 'e', operator: 'NotIn', values: ['z'] },
      ],
    };
    expect(selectorMatches(sel, { a: '1', b: 'x', d: '' })).toBe(true);
    expect(selectorMatches(sel, { a: '1', b: 'x', d: '', e: 'z' })).toBe(false);
    expect(selectorMatches(sel, { a: '1', b: 'q', d: '' })).toBe(false);
    expect(selectorMatches(sel, { a: '1', b: 'x', c: '', d: '' })).toBe(false);
    expect(selectorMatches(sel, { a: '1', b: 'x' })).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] }, { a: '' })).toBe(false);
    expect(selectorMatches(undefined, {})).toBe(false);
  });
  it('nodes of a pool', () => {
    const { pools, nodes } = midway();
    expect(
      nodesOfPool(pools[0]!, [...nodes, node('master-0', 'master', OLD, OLD, 'Done')]).map((n) => n.metadata.name),
    ).toEqual(['worker-0', 'worker-1', 'worker-2']);
  });
});

describe('assessRollout: progress, completion and stuck items', () => {
  it('progressing pools with updated/total, sorted by name; complete when every pool with machines is done', () => {
    const p = assessRollout(
      input(
        [
          pool('worker', { updated: 1 }),
          pool('infra', { updated: 3, finished: true }),
          pool('empty', { total: 0, updated: 0 }),
        ],
        [],
      ),
    );
    expect(p.pools.map((x) => [x.pool, x.state, `${x.updated}/${x.total}`])).toEqual([
      ['empty', 'empty', '0/0'],
      ['infra', 'done', '3/3'],
      ['worker', 'progressing', '1/3'],
    ]);
    expect(p.complete).toBe(false);
    expect(
      assessRollout(input([pool('worker', { updated: 3, finished: true }), pool('empty', { total: 0 })], [])).complete,
    ).toBe(true);
    expect(assessRollout(input([], [])).complete).toBe(false);
  });

  it('"Updated" on an older rendered config is not done: waiting for the render', () => {
    const p = assessRollout(input([pool('worker', { target: OLD, updated: 3, finished: true })], []));
    expect(p.pools[0]).toMatchObject({
      state: 'waiting-render',
      reasons: [`target ${OLD} does not contain the change yet`],
    });
    expect(p.stuck).toEqual([]);
  });

  it('paused and degraded pools, and Degraded/Unreconcilable nodes with their reason, are stuck items', () => {
    const p = assessRollout(
      input(
        [
          pool('infra', { paused: true }),
          pool('worker', { degraded: 'Node worker-1 is reporting: "failed to drain"' }),
        ],
        [
          node('worker-1', 'worker', OLD, NEW, 'Degraded', 'failed to drain node: PodDisruptionBudget'),
          node('worker-2', 'worker', OLD, NEW, 'Unreconcilable'),
          node('infra-0', 'infra', OLD, OLD, 'Done'),
        ],
      ),
    );
    expect(p.stuck.map((s) => s.key)).toEqual(['paused:infra', 'degraded:worker', 'node:worker-1', 'node:worker-2']);
    expect(p.stuck[0]!.text).toMatch(/^pool infra is paused: it will not update until unpaused \(oc patch mcp infra/);
    expect(p.stuck[1]!.text).toBe('pool worker is degraded: Degraded: Node worker-1 is reporting: "failed to drain"');
    expect(p.stuck[2]!.text).toBe(
      `node worker-1 is Degraded: failed to drain node: ` +
        `PodDisruptionBudget (desired ${NEW}, current ${OLD}) [pool worker]`,
    );
    expect(p.stuck[3]!.text).toBe(`node worker-2 is Unreconcilable (desired ${NEW}, current ${OLD}) [pool worker]`);
    expect(stuckNode(node('w', 'worker', NEW, NEW, 'Working'))).toBeUndefined();
  });

  it('a render overdue names the pools still waiting and the likely cause', () => {
    const p = assessRollout(
      input([pool('worker', { target: OLD })], [], {
        renderOverdue: true,
        rejection: 'the MCO refuses this configuration: x',
      }),
    );
    expect(p.stuck).toEqual([
      {
        key: 'render',
        text:
          `the rendered config of worker (${OLD}) never picked the ` +
          `change up: the MCO refuses this configuration: x`,
      },
    ]);
  });
});

describe('the stall check', () => {
  it('progress marks: a progressing pool is tracked from the first pass; unchanged inputs keep the instants', () => {
    const { pools, nodes } = midway();
    const m0 = trackProgress(undefined, input(pools, nodes), T0);
    expect(m0).toEqual({
      pools: { worker: { mark: progressMark(pools[0]!, nodes), since: T0 } },
      working: { 'worker-1': { desired: NEW, since: T0 } },
    });
    const m1 = trackProgress(m0, input(pools, nodes), T0 + 5 * MIN);
    expect(JSON.stringify(m1)).toBe(JSON.stringify(m0));
  });

  it(
    'the updated count moving, a node finishing or the target moving ' +
      'is progress; the Working node keeps its instant',
    () => {
      const { pools, nodes } = midway();
      const m0 = trackProgress(undefined, input(pools, nodes), T0);
      const counted = trackProgress(m0, input([pool('worker', { updated: 2 })], nodes), T0 + MIN);
      expect(counted.pools.worker!.since).toBe(T0 + MIN);
      expect(counted.working['worker-1']!.since).toBe(T0);
      const finished = [nodes[0]!, node('worker-1', 'worker', NEW, NEW, 'Done'), nodes[2]!];
      const m2 = trackProgress(m0, input(pools, finished), T0 + 2 * MIN);
      expect(m2.pools.worker!.since).toBe(T0 + 2 * MIN);
      expect(m2.working).toEqual({});
      const NEWER = 'rendered-worker-newer';
      const retarget = trackProgress(
        m0,
        { pools: [pool('worker', { updated: 1, target: NEWER })], nodes, targetHasChange: () => true },
        T0 + 3 * MIN,
      );
      expect(retarget.pools.worker!.since).toBe(T0 + 3 * MIN);
    },
  );

  it('pools that are not progressing are not tracked, so a resumed pool starts counting afresh', () => {
    const { nodes } = midway();
    expect(trackProgress(undefined, input([pool('worker', { paused: true, updated: 1 })], nodes), T0).pools).toEqual(
      {},
    );
    expect(trackProgress(undefined, input([pool('worker', { target: OLD })], nodes), T0).pools).toEqual({});
    expect(trackProgress(undefined, input([pool('worker', { updated: 3, finished: true })], nodes), T0).pools).toEqual(
      {},
    );
  });

  it(
    'a Working node towards another desired config restarts its ' + 'instant; nodes in no followed pool are ignored',
    () => {
      const m0 = trackProgress(undefined, input(midway().pools, midway().nodes), T0);
      const other = trackProgress(
        m0,
        input(midway().pools, [
          node('worker-1', 'worker', OLD, 'rendered-worker-x', 'Working'),
          node('master-0', 'master', OLD, NEW, 'Working'),
        ]),
        T0 + MIN,
      );
      expect(other.working).toEqual({ 'worker-1': { desired: 'rendered-worker-x', since: T0 + MIN } });
      // Working with current == desired is not an update in progress.
      expect(
        trackProgress(undefined, input(midway().pools, [node('worker-1', 'worker', NEW, NEW, 'Working')]), T0).working,
      ).toEqual({});
    },
  );

  it('no progress for the limit: the pool is stuck, naming the nodes still updating and since when they work', () => {
    const { pools, nodes } = midway();
    const marks = trackProgress(undefined, input(pools, nodes), T0);
    const at = (now: number) => assessRollout(input(pools, nodes, { stall: { marks, now, limitMs: LIMIT } })).stuck;
    expect(at(T0 + LIMIT - 1)).toEqual([]);
    const stuck = at(T0 + LIMIT);
    expect(stuck.map((s) => s.key)).toEqual(['stalled:worker', 'working:worker-1']);
    expect(stuck[0]!.text).toBe(
      'pool worker: no progress for 30 min at 1/3 updated; nodes still updating: worker-1 (state ' +
        'Working since 2026-03-01T10:00:00Z); 1 node(s) not yet given the new config',
    );
    expect(stuck[1]!.text).toBe(
      `node worker-1 is stuck in its update: state Working for 30 min (since ` +
        `2026-03-01T10:00:00Z), desired ${NEW}, current ${OLD} [pool worker]`,
    );
  });

  it('a stalled pool with no node updating says the node controller has not started the next one', () => {
    const pools = [pool('worker', { updated: 1 })];
    const nodes = [node('worker-0', 'worker', NEW, NEW, 'Done'), node('worker-1', 'worker', OLD, OLD, 'Done')];
    const marks = trackProgress(undefined, input(pools, nodes), T0);
    const [s] = assessRollout(input(pools, nodes, { stall: { marks, now: T0 + 75 * MIN, limitMs: LIMIT } })).stuck;
    expect(s!.text).toBe(
      'pool worker: no progress for 1 h 15 min at 1/3 updated; nodes still updating: none (the node ' +
        'controller has not started the next node); 1 node(s) not yet given the new config',
    );
  });

  it('a node that is Degraded is said as Degraded, not as Working; a stalled pool lists it with its state', () => {
    const pools = [pool('worker', { updated: 1 })];
    const nodes = [
      node('worker-0', 'worker', NEW, NEW, 'Done'),
      node('worker-1', 'worker', OLD, NEW, 'Degraded', 'boom'),
    ];
    const marks: ProgressMarks = {
      pools: trackProgress(undefined, input(pools, nodes), T0).pools,
      working: { 'worker-1': { desired: NEW, since: T0 } },
    };
    const stuck = assessRollout(input(pools, nodes, { stall: { marks, now: T0 + LIMIT, limitMs: LIMIT } })).stuck;
    expect(stuck.map((s) => s.key)).toEqual(['node:worker-1', 'stalled:worker']);
    expect(stuck[1]!.text).toContain('nodes still updating: worker-1 (state Degraded)');
  });

  it('marks persisted as JSON keep counting from the same instant (restart-safe)', () => {
    const { pools, nodes } = midway();
    const saved = JSON.parse(JSON.stringify(trackProgress(undefined, input(pools, nodes), T0))) as ProgressMarks;
    const again = trackProgress(saved, input(pools, nodes), T0 + 29 * MIN);
    expect(again).toEqual(saved);
    expect(
      assessRollout(input(pools, nodes, { stall: { marks: again, now: T0 + 31 * MIN, limitMs: LIMIT } })).stuck.map(
        (s) => s.key,
      ),
    ).toEqual(['stalled:worker', 'working:worker-1']);
  });

  it('nextStallCheck: the earliest instant a stall item can appear, if any is still ahead', () => {
    const marks: ProgressMarks = {
      pools: { a: { mark: 'x', since: T0 + 5 } },
      working: { n: { desired: NEW, since: T0 } },
    };
    expect(nextStallCheck(marks, LIMIT, T0)).toBe(T0 + LIMIT);
    expect(nextStallCheck(marks, LIMIT, T0 + LIMIT)).toBe(T0 + LIMIT + 5);
    expect(nextStallCheck(marks, LIMIT, T0 + LIMIT + 5)).toBeNull();
    expect(nextStallCheck(emptyMarks(), LIMIT, T0)).toBeNull();
  });

  it('shortDuration rounds for stuck texts', () => {
    expect(shortDuration(45_000)).toBe('45 s');
    expect(shortDuration(30 * MIN)).toBe('30 min');
    expect(shortDuration(30 * MIN + 5_000)).toBe('30 min 5 s');
    expect(shortDuration(60 * MIN)).toBe('1 h');
  });
});
