import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { forecastDisruption } from '../../src/domain/drain-rules.ts';
import { decodeDataUrl, machineConfigFile } from '../../src/domain/ignition-file.ts';
import { parseRegistriesConf } from '../../src/domain/registries-conf.ts';
import { evaluatePool, rolloutComplete, stuckReasons } from '../../src/domain/rollout-state.ts';
import type { MachineConfig, MachineConfigPool } from '../../src/types/machineconfig.ts';

const pool = (
  over: Partial<MachineConfigPool['status']> & {
    paused?: boolean;
    gen?: number;
    spec?: string;
    conds?: Array<[string, 'True' | 'False', string?]>;
  },
): MachineConfigPool => ({
  apiVersion: 'machineconfiguration.openshift.io/v1',
  kind: 'MachineConfigPool',
  metadata: { name: 'worker', generation: over.gen ?? 3 },
  spec: { paused: over.paused ?? false, configuration: { name: over.spec ?? 'rendered-worker-new' } },
  status: {
    observedGeneration: 3,
    configuration: { name: 'rendered-worker-new' },
    machineCount: 3,
    updatedMachineCount: 3,
    readyMachineCount: 3,
    unavailableMachineCount: 0,
    degradedMachineCount: 0,
    conditions: (
      over.conds ?? [
        ['Updated', 'True'],
        ['Updating', 'False'],
        ['Degraded', 'False'],
      ]
    ).map(([type, status, message]) => ({ type, status, ...(message ? { message } : {}) })),
    ...over,
  },
});

describe('rollout-complete rule', () => {
  it('done only when every check holds', () => {
    expect(evaluatePool(pool({}), true).state).toBe('done');
    expect(evaluatePool(pool({}), false).state).toBe('waiting-render');
    expect(
      evaluatePool(
        pool({
          updatedMachineCount: 1,
          conds: [
            ['Updated', 'False'],
            ['Updating', 'True'],
          ],
        }),
        true,
      ),
    ).toMatchObject({ state: 'progressing', updated: 1, total: 3 });
    expect(evaluatePool(pool({ gen: 4 }), true).state).toBe('progressing');
    expect(evaluatePool(pool({ configuration: { name: 'rendered-worker-old' } }), true).state).toBe('progressing');
  });
  it('paused and degraded pools are stuck, with the reason', () => {
    const paused = evaluatePool(pool({ paused: true }), true);
    const degraded = evaluatePool(
      pool({
        conds: [
          ['Degraded', 'True', 'Node worker-1 is reporting: "unexpected on-disk state"'],
          ['NodeDegraded', 'True', 'worker-1 failed'],
        ],
      }),
      true,
    );
    expect(paused.state).toBe('paused');
    expect(degraded.state).toBe('degraded');
    expect(stuckReasons([paused, degraded]).map((s) => s.kind)).toEqual(['paused', 'degraded']);
    expect(degraded.reasons[0]).toContain('unexpected on-disk state');
  });
  it('a pool without machines is trivially complete', () => {
    const empty = evaluatePool(pool({ machineCount: 0, updatedMachineCount: 0, readyMachineCount: 0 }), false);
    expect(empty.state).toBe('empty');
    expect(rolloutComplete([empty, evaluatePool(pool({}), true)])).toBe(true);
  });
});

describe('MachineConfig files', () => {
  const toml = 'unqualified-search-registries = ["registry.access.redhat.com", "docker.io"]\n';
  const mc = (source: string, compression = ''): MachineConfig => ({
    apiVersion: 'machineconfiguration.openshift.io/v1',
    kind: 'MachineConfig',
    metadata: { name: 'rendered-worker-x' },
    spec: {
      config: { storage: { files: [{ path: '/etc/containers/registries.conf', contents: { source, compression } }] } },
    },
  });
  it('reads base64, percent-encoded and gzip contents', () => {
    expect(machineConfigFile(mc(`data:text/plain;charset=utf-8;base64,${Buffer.from(toml).toString('base64')}`))).toBe(
      toml,
    );
    expect(machineConfigFile(mc(`data:,${encodeURIComponent(toml)}`))).toBe(toml);
    expect(machineConfigFile(mc(`data:;base64,${gzipSync(toml).toString('base64')}`, 'gzip'))).toBe(toml);
    expect(machineConfigFile(mc('data:,x'), '/etc/other')).toBeNull();
    expect(() => decodeDataUrl('http://x')).toThrow('not a data URL');
  });
});

describe('drain forecast (MCO isSafeContainerRegistryConfChanges)', () => {
  const before = parseRegistriesConf(
    '[[registry]]\nlocation = "quay.io/a"\n[[registry.' +
      'mirror]]\nlocation = "m.local/a"\npull-from-mirror = "digest-only"\n',
  );
  it('adding an IDMS-style digest-only entry needs no drain', () => {
    const after = parseRegistriesConf(
      '[[registry]]\nlocation = "quay.io/a"\n[[registry.mirror]]\nlocation = ' +
        '"m.local/a"\npull-from-mirror = "digest-only"\n[[registry]]\nlocation = "quay.io/b"\nblocked ' +
        '= false\n[[registry.mirror]]\nlocation = "m.local/b"\npull-from-mirror = "digest-only"\n',
    );
    expect(forecastDisruption(before, after)).toEqual({ drain: false, reasons: [] });
  });
  it('an ITMS (tag-only) mirror, a removed mirror or a blocked flip drains', () => {
    const itms = parseRegistriesConf(
      '[[registry]]\nlocation = "quay.io/a"\n[[registry.mirror]]\nlocation = "m.local/a"\npull-from-mirror = ' +
        '"digest-only"\n[[registry.mirror]]\nlocation = "t.local/a"\npull-from-mirror = "tag-only"\n',
    );
    expect(forecastDisruption(before, itms).drain).toBe(true);
    expect(forecastDisruption(itms, before).reasons).toEqual(['quay.io/a: mirror t.local/a removed']);
    const blocked = parseRegistriesConf(
      '[[registry]]\nlocation = "quay.io/a"\nblocked = true\n[[registry.' +
        'mirror]]\nlocation = "m.local/a"\npull-from-mirror = "digest-only"\n',
    );
    expect(forecastDisruption(before, blocked).reasons).toEqual(['quay.io/a: blocked changed']);
  });
});

describe('empty pools', () => {
  it('a paused pool without machines is complete, not stuck', () => {
    const p = pool({ paused: true, machineCount: 0, updatedMachineCount: 0, readyMachineCount: 0 });
    expect(evaluatePool(p, false).state).toBe('empty');
  });
});
