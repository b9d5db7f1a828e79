// What a what-if reads from a cluster, once and read-only: the mirror policies, the MachineConfigPools (size,
// maxUnavailable, paused, and the last rollout's duration: from the creation of the pool's current rendered config
// to its Updated condition), MachineConfiguration "cluster" (NodeDisruptionPolicy, 4.16+) and the images of every
// pod that has not finished (paged list; the ServiceAccount may list pods cluster-wide, nothing more).
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import type { V1Pod } from '@kubernetes/client-node';
import { EngineError } from '../domain/engine-error.ts';
import type { MachineConfiguration, PoolFacts } from '../domain/node-disruption.ts';
import { poolFacts } from '../domain/pool-facts.ts';
import type { WhatIfClusterState } from '../ports/what-if.ts';
import type { PolicySet } from '../domain/policy-set.ts';
import { addUse, podImages } from '../domain/running-images.ts';
import type { ImageUsage } from '../domain/running-images.ts';
import type { MachineConfigPool } from '../types/machineconfig.ts';
import { messageOf } from '../domain/error-text.ts';
import { describeKubeError, kubeStatus } from './kube-errors.ts';
import { CLI_KUBECONFIG_HINT, KubeconfigError, loadKubeconfig } from './kubeconfig.ts';
import { listPolicySet } from './list-policies.ts';

const MCO = { group: 'machineconfiguration.openshift.io', version: 'v1' } as const;
const PAGE = 500;

/** Images of pods that have not finished, per namespace (a pod counts once per image). */
export async function readRunningImages(kc: KubeConfig): Promise<ImageUsage> {
  const core = kc.makeApiClient(CoreV1Api);
  const usage: ImageUsage = new Map();
  let cont: string | undefined;
  do {
    let page;
    try {
      page = await core.listPodForAllNamespaces({ limit: PAGE, ...(cont !== undefined ? { _continue: cont } : {}) });
    } catch (e) {
      throw new Error(describeKubeError(e, 'list pods in all namespaces'), { cause: e });
    }
    for (const pod of page.items as V1Pod[]) {
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
      for (const img of podImages(pod as Parameters<typeof podImages>[0]))
        addUse(usage, img, pod.metadata?.namespace ?? '');
    }
    cont = page.metadata?._continue || undefined;
  } while (cont !== undefined);
  return usage;
}

/** The CLI's reader: a kubeconfig file (or KUBECONFIG / ~/.kube/config / in-cluster). */
export async function readWhatIfClusterState(
  kubeconfig: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<WhatIfClusterState> {
  let kc: KubeConfig;
  try {
    kc = loadKubeconfig({ path: kubeconfig, env, hint: CLI_KUBECONFIG_HINT });
  } catch (e) {
    if (e instanceof KubeconfigError) throw new EngineError('input', e.message);
    throw e;
  }
  return readWhatIfState(kc);
}

/** Reads everything a what-if needs; `policies` (e.g. the bot's watch cache) saves listing them again. */
export async function readWhatIfState(kc: KubeConfig, policies?: PolicySet): Promise<WhatIfClusterState> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const notes: string[] = [];
  const current = policies ?? (await listPolicySet(custom, notes));
  const pools = await readPools(custom, notes);
  const machineConfiguration = await readMachineConfiguration(custom, notes);
  let images: ImageUsage = new Map();
  try {
    images = await readRunningImages(kc);
  } catch (e) {
    // Without the pods the rest of the answer still holds; say what is missing.
    notes.push(`${messageOf(e)}: rerouted images not computed`);
  }
  return { policies: current, images, pools, machineConfiguration, notes };
}

async function readPools(custom: CustomObjectsApi, notes: string[]): Promise<PoolFacts[]> {
  const pools: PoolFacts[] = [];
  try {
    const list =
      (
        (await custom.listClusterCustomObject({ ...MCO, plural: 'machineconfigpools' })) as {
          items?: MachineConfigPool[];
        }
      ).items ?? [];
    for (const p of list) {
      let created: string | null = null;
      const rendered = p.status?.configuration?.name;
      if (rendered !== undefined) {
        try {
          const mc = (await custom.getClusterCustomObject({ ...MCO, plural: 'machineconfigs', name: rendered })) as {
            metadata?: { creationTimestamp?: string };
          };
          created = mc.metadata?.creationTimestamp ?? null;
        } catch (e) {
          notes.push(
            describeKubeError(e, `read MachineConfig ${rendered} (to date the last rollout of ${p.metadata.name})`),
          );
        }
      }
      pools.push(poolFacts(p, created));
    }
  } catch (e) {
    notes.push(`${describeKubeError(e, 'list MachineConfigPools')}: pools assumed master and worker, sizes unknown`);
  }
  return pools;
}

async function readMachineConfiguration(
  custom: CustomObjectsApi,
  notes: string[],
): Promise<MachineConfiguration | null> {
  let machineConfiguration: MachineConfiguration | null = null;
  try {
    machineConfiguration = (await custom.getClusterCustomObject({
      group: 'operator.openshift.io',
      version: 'v1',
      plural: 'machineconfigurations',
      name: 'cluster',
    })) as MachineConfiguration;
  } catch (e) {
    const code = kubeStatus(e)?.code;
    if (code !== 404)
      notes.push(
        `${describeKubeError(e, 'read MachineConfiguration cluster')}: ` +
          `disruption per the MCO rules without a NodeDisruptionPolicy`,
      );
  }
  return machineConfiguration;
}
