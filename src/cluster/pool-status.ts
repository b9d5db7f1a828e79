// One-shot pool status for the CLI (`icsp status`) and anything without a running notifier: lists the policies,
// pools and nodes once, reads each pool's target rendered MachineConfig, and says per pool whether the current
// mirror configuration has reached every node.
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { machineConfigFile } from '../domain/ignition-file.ts';
import { renderForRollout } from '../domain/rollout-change.ts';
import type { RenderedConfig } from '../domain/rollout-change.ts';
import { poolStatusLines } from '../domain/rollout-status.ts';
import type { PoolStatus } from '../domain/rollout-status.ts';
import type { MachineConfig, MachineConfigPool, NodeLite } from '../types/machineconfig.ts';
import { describeKubeError } from './kube-errors.ts';
import { listPolicySet } from './list-policies.ts';

export interface PoolStatusReport {
  lines: PoolStatus[];
  expected: RenderedConfig;
  warnings: string[];
}

const MCO = { group: 'machineconfiguration.openshift.io', version: 'v1' } as const;

export async function readPoolStatus(kc: KubeConfig, opts: { poolSelector?: string } = {}): Promise<PoolStatusReport> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const warnings: string[] = [];
  const expected = renderForRollout(await listPolicySet(custom, warnings));
  let pools: MachineConfigPool[];
  try {
    pools =
      (
        (await custom.listClusterCustomObject({
          ...MCO,
          plural: 'machineconfigpools',
          ...(opts.poolSelector ? { labelSelector: opts.poolSelector } : {}),
        })) as { items?: MachineConfigPool[] }
      ).items ?? [];
  } catch (e) {
    throw new Error(describeKubeError(e, 'list MachineConfigPools'), { cause: e });
  }
  let nodes: NodeLite[] = [];
  try {
    nodes = ((await kc.makeApiClient(CoreV1Api).listNode()).items ?? []) as unknown as NodeLite[];
  } catch (e) {
    warnings.push(describeKubeError(e, 'list nodes'));
  }
  const texts = new Map<string, string | null>();
  for (const p of pools) {
    const name = p.spec.configuration?.name;
    if (name === undefined || texts.has(name)) continue;
    try {
      texts.set(
        name,
        machineConfigFile(
          (await custom.getClusterCustomObject({ ...MCO, plural: 'machineconfigs', name })) as MachineConfig,
        ),
      );
    } catch (e) {
      warnings.push(describeKubeError(e, `read MachineConfig ${name}`));
    }
  }
  return { lines: poolStatusLines(pools, nodes, expected, (n) => texts.get(n)), expected, warnings };
}
