// The words of rollout notices (src/domain/rollout-notice.ts) and of /icsp status (src/domain/rollout-status.ts).
import { describe, expect, it } from 'vitest';
import type { ChangeDescription, RenderedConfig } from '../../src/domain/rollout-change.ts';
import {
  disruptionLine,
  doneReply,
  formatDuration,
  noticeMessage,
  poolLine,
  resolvedReply,
  stuckReply,
  supersededReply,
} from '../../src/domain/rollout-notice.ts';
import type { PoolRollout } from '../../src/domain/rollout-state.ts';
import { poolStatusLines } from '../../src/domain/rollout-status.ts';
import { encodeRegistriesConf } from '../../src/domain/registries-toml.ts';
import type { MachineConfigPool, NodeLite } from '../../src/types/machineconfig.ts';

const after: RenderedConfig = {
  rendered: true,
  registries: [
    {
      prefix: 'quay.io/app',
      location: 'quay.io/app',
      insecure: false,
      blocked: false,
      mirrorByDigestOnly: false,
      mirrors: [{ location: 'm1.local/app', insecure: false, pullFromMirror: 'digest-only' }],
    },
  ],
  search: ['registry.access.redhat.com', 'docker.io'],
  error: null,
  payloadDropped: null,
};
const change = (over: Partial<ChangeDescription> = {}): ChangeDescription => ({
  key: 'abc123def456',
  objects: [
    {
      kind: 'ImageDigestMirrorSet',
      name: 'a',
      action: 'created',
      manager: 'argocd',
      changedAt: '2026-03-01T10:00:00Z',
    },
    { kind: 'ImageDigestMirrorSet', name: 'old', action: 'deleted' },
  ],
  changes: ['new source quay.io/app (mirrors m1.local/app (digest-only))'],
  changedSources: ['quay.io/app'],
  disruption: { drain: false, reasons: [] },
  after,
  ...over,
});
const pr = (pool: string, state: PoolRollout['state'], updated: number, total: number): PoolRollout => ({
  pool,
  state,
  updated,
  total,
  target: `rendered-${pool}-x`,
  reasons: [],
});

describe('durations', () => {
  it('formatDuration', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(59_400)).toBe('59 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(3_723_000)).toBe('1 h 2 min');
    expect(formatDuration(-5)).toBe('0 s');
  });
});

describe('the header message', () => {
  it('rolling out: objects and who, the changes, the disruption forecast, each pool', () => {
    const m = noticeMessage({
      cluster: 'prod-east',
      change: change(),
      pools: [
        pr('master', 'done', 3, 3),
        pr('worker', 'progressing', 1, 3),
        pr('infra', 'empty', 0, 0),
        pr('edge', 'waiting-render', 2, 2),
      ],
      phase: 'rolling-out',
      startedAt: 0,
    });
    expect(m.text).toBe(
      [
        ':arrows_counterclockwise: Mirror change rolling out on prod-east',
        '*Objects:* ImageDigestMirrorSet/a created by argocd at 2026-03-01T10:00:00Z; ImageDigestMirrorSet/old deleted',
        "*On the nodes' /etc/containers/registries.conf:*",
        '• new source quay.io/app (mirrors m1.local/app (digest-only))',
        '*Disruption:* no drain expected (only safe, additive digest-only ' +
          'changes); reboot not expected per MCO code (CRI-O reload)',
        '*Pools:*',
        '✓ master: 3/3 updated',
        '… worker: 1/3 updated',
        '– infra: no machines',
        '… edge: 2/2 (waiting for a rendered config with the change)',
      ].join('\n'),
    );
    expect(m.blocks).toHaveLength(3);
    expect(JSON.stringify(m.blocks[2])).toContain('change abc123def456');
  });

  it('phases: stuck, done with its duration, superseded', () => {
    const base = { cluster: 'c', change: change(), pools: [], startedAt: 1_000 };
    expect(noticeMessage({ ...base, phase: 'stuck' }).text.split('\n')[0]).toBe(
      ':warning: Mirror change rolling out, stuck (see thread) on c',
    );
    expect(noticeMessage({ ...base, phase: 'done', doneAt: 1_000 + 185_000 }).text.split('\n')[0]).toBe(
      ':white_check_mark: Mirror change rolled out to every node on c (3 min 5 s)',
    );
    expect(noticeMessage({ ...base, phase: 'superseded' }).text.split('\n')[0]).toBe(
      ':fast_forward: Mirror change superseded by a newer one on c',
    );
    expect(noticeMessage({ ...base, phase: 'rolling-out' }).text).toContain('*Pools:*\nno MachineConfigPools found');
  });

  it('a drain forecast with its reasons (at most three), a refusal and a dropped payload registry', () => {
    const reasons = ['a: mirror x removed', 'b: blocked changed', 'c: insecure changed', 'd: mirror y removed'];
    expect(disruptionLine(change({ disruption: { drain: true, reasons } }))).toBe(
      'drain expected (a: mirror x removed; b: blocked changed; c: insecure ' +
        'changed; …); reboot not expected per MCO code (CRI-O reload)',
    );
    const m = noticeMessage({
      cluster: 'c',
      change: change({
        after: {
          ...after,
          error: 'conflicting mirrorSourcePolicy',
          payloadDropped: 'error adding ["quay.io"] to blocked registries',
        },
      }),
      pools: [],
      phase: 'rolling-out',
      startedAt: 0,
    });
    expect(m.text).toContain(
      ':no_entry: the MCO refuses this configuration: conflicting ' +
        'mirrorSourcePolicy. Nothing of it reaches the nodes until fixed.',
    );
    expect(m.text).toContain(':information_source: error adding ["quay.io"] to blocked registries (the MCO skips it)');
  });

  it('many changes are cut at fifteen lines; no object recorded; no mirror difference', () => {
    const many = Array.from({ length: 20 }, (_, i) => `mirror added: m${i}`);
    const m = noticeMessage({
      cluster: 'c',
      change: change({ changes: many, objects: [] }),
      pools: [],
      phase: 'rolling-out',
      startedAt: 0,
    });
    expect(m.text).toContain('• mirror added: m14\n• … and 5 more');
    expect(m.text).not.toContain('m15');
    expect(m.text).toContain('no object change recorded (the bot found the configuration changed at start)');
    expect(
      noticeMessage({ cluster: 'c', change: change({ changes: [] }), pools: [], phase: 'rolling-out', startedAt: 0 })
        .text,
    ).toContain('• (no mirror difference)');
  });

  it('pool lines mark paused and degraded pools', () => {
    expect(poolLine(pr('w', 'paused', 0, 2))).toBe('⏸ w: 0/2 updated (paused)');
    expect(poolLine(pr('w', 'degraded', 1, 2))).toBe('⚠ w: 1/2 updated (degraded)');
  });
});

describe('thread replies', () => {
  it('stuck, resolved, done, superseded', () => {
    expect(stuckReply('pool worker: no progress for 30 min at 1/3 updated').text).toBe(
      ':warning: Stuck: pool worker: no progress for 30 min at 1/3 updated',
    );
    expect(resolvedReply('pool worker: no progress for 30 min at 1/3 updated').text).toBe(
      ':white_check_mark: Resolved: pool worker: no progress for 30 min at 1/3 updated',
    );
    expect(
      doneReply([pr('master', 'done', 3, 3), pr('infra', 'empty', 0, 0), pr('worker', 'done', 2, 2)], 754_000).text,
    ).toBe(
      ':white_check_mark: Done: the change reached every node (master 3/3, worker ' +
        "2/2) in 12 min 34 s; each pool's rendered config carries it.",
    );
    expect(doneReply([], 1000).text).toBe(
      ":white_check_mark: Done: the change reached every node in 1 s; each pool's rendered config carries it.",
    );
    expect(supersededReply().text).toMatch(/^:fast_forward: Superseded: a newer mirror change/);
  });
  it('long texts are clipped in the block, not in the text', () => {
    const long = 'x'.repeat(5000);
    const r = stuckReply(long);
    expect(r.text.length).toBeGreaterThan(5000);
    expect(JSON.stringify(r.blocks).length).toBeLessThan(3100);
  });
});

describe('/icsp status lines', () => {
  const NEW = 'rendered-worker-new';
  const pool = (
    name: string,
    target: string,
    o: { updated?: number; finished?: boolean; machines?: number } = {},
  ): MachineConfigPool => {
    const total = o.machines ?? 2;
    const finished = o.finished ?? false;
    return {
      apiVersion: 'machineconfiguration.openshift.io/v1',
      kind: 'MachineConfigPool',
      metadata: { name, generation: 1 },
      spec: {
        configuration: { name: target },
        nodeSelector: { matchLabels: { [`node-role.kubernetes.io/${name}`]: '' } },
      },
      status: {
        observedGeneration: 1,
        configuration: { name: finished ? target : 'rendered-old' },
        machineCount: total,
        updatedMachineCount: o.updated ?? total,
        readyMachineCount: finished ? total : total - 1,
        unavailableMachineCount: finished ? 0 : 1,
        degradedMachineCount: 0,
        conditions: [
          { type: 'Updated', status: finished ? 'True' : 'False' },
          { type: 'Updating', status: finished ? 'False' : 'True' },
        ],
      },
    };
  };
  const conf = encodeRegistriesConf(after.search, after.registries);
  const texts: Record<string, string | null> = { [NEW]: conf, 'rendered-master-old': null };
  const degradedNode: NodeLite = {
    metadata: {
      name: 'worker-1',
      labels: { 'node-role.kubernetes.io/worker': '' },
      annotations: {
        'machineconfiguration.openshift.io/state': 'Degraded',
        'machineconfiguration.openshift.io/reason': 'boom',
        'machineconfiguration.openshift.io/desiredConfig': NEW,
        'machineconfiguration.openshift.io/currentConfig': 'rendered-old',
      },
    },
  };

  it('rolled out, progressing with a degraded node, lacking the config, unreadable, empty', () => {
    const lines = poolStatusLines(
      [
        pool('worker', NEW, { updated: 1 }),
        pool('master', 'rendered-master-old', { finished: true }),
        pool('infra', NEW, { finished: true }),
        pool('gone', 'rendered-gone'),
        pool('edge', NEW, { machines: 0, finished: true }),
      ],
      [degradedNode],
      after,
      (n) => texts[n],
    );
    expect(lines.map((l) => [l.pool, l.upToDate])).toEqual([
      ['edge', true],
      ['gone', false],
      ['infra', true],
      ['master', false],
      ['worker', false],
    ]);
    const by = Object.fromEntries(lines.map((l) => [l.pool, l.detail]));
    expect(by.infra).toBe(`2/2 updated; target ${NEW} carries the current mirror config; rolled out`);
    expect(by.master).toBe(
      '2/2 updated; target rendered-master-old lacks the current mirror config; ' +
        'waiting-render: target rendered-master-old does not contain the change yet',
    );
    expect(by.gone).toContain('target rendered-gone (unreadable)');
    expect(by.edge).toContain('no machines');
    expect(by.worker).toContain(`1/2 updated; target ${NEW} carries the current mirror config; progressing:`);
    expect(by.worker).toContain(`node worker-1 is Degraded: boom (desired ${NEW}, current rendered-old)`);
  });

  it('a configuration the MCO refuses is said on every line', () => {
    const [l] = poolStatusLines(
      [pool('worker', NEW, { finished: true })],
      [],
      { ...after, error: 'invalid format for source "quay.io/"' },
      (n) => texts[n],
    );
    expect(l!.detail).toContain('the MCO refuses the current policies: invalid format for source "quay.io/"');
  });
});
