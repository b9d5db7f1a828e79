// What the triage tests put in a cluster so that a node looks like an OpenShift node: a rendered MachineConfig
// that writes the lab's registries.conf and the MCO's annotations on the Node naming it; and the kubelet-event
// corpus (real podman errors, test/fixtures/kubelet-events) the fake kubelet reports.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';

const CORPUS = join(import.meta.dirname, '../fixtures/kubelet-events');
const MACHINECONFIGS = { group: 'machineconfiguration.openshift.io', version: 'v1', plural: 'machineconfigs' };

export interface CorpusCase {
  image: string;
  registriesConf: string;
  /** The Failed event's message, as the kubelet writes it. */
  failed: string;
  /** The container's state.waiting.message on ErrImagePull. */
  waiting: string;
}

/** One cause of the corpus in one kubelet generation (`cri-client`: today's wording; `grpc-prefix`: older). */
export function corpusCase(name: string, generation: 'cri-client' | 'grpc-prefix' = 'cri-client'): CorpusCase {
  const s = JSON.parse(readFileSync(join(CORPUS, name, 'scenario.json'), 'utf8')) as {
    image: string;
    registriesConf: string;
  };
  const read = (file: string): string => readFileSync(join(CORPUS, name, file), 'utf8').trimEnd();
  return {
    image: s.image,
    registriesConf: s.registriesConf,
    failed: read(`${generation}.event-failed.txt`),
    waiting: read('cri-client.waiting-errimagepull.txt'),
  };
}

/** The annotations the MCO's daemon keeps on a node that runs `rendered` (Done: no update pending). */
export function mcoAnnotations(rendered: string): Record<string, string> {
  return {
    'machineconfiguration.openshift.io/currentConfig': rendered,
    'machineconfiguration.openshift.io/desiredConfig': rendered,
    'machineconfiguration.openshift.io/state': 'Done',
  };
}

/** The MachineConfig object whose Ignition writes `registriesConf` to /etc/containers/registries.conf. */
export function renderedConfigObject(
  name: string,
  registriesConf: string,
  labels: Record<string, string> = {},
): Record<string, unknown> {
  const source = `data:text/plain;charset=utf-8;base64,${Buffer.from(registriesConf).toString('base64')}`;
  return {
    apiVersion: 'machineconfiguration.openshift.io/v1',
    kind: 'MachineConfig',
    metadata: { name, ...(Object.keys(labels).length > 0 ? { labels } : {}) },
    spec: {
      config: {
        ignition: { version: '3.5.0' },
        storage: {
          files: [{ path: '/etc/containers/registries.conf', mode: 420, overwrite: true, contents: { source } }],
        },
      },
    },
  };
}

/** Creates that rendered MachineConfig (as the MCO's controller would). */
export async function createRenderedConfig(admin: KubeConfig, name: string, registriesConf: string): Promise<void> {
  await admin
    .makeApiClient(CustomObjectsApi)
    .createClusterCustomObject({ ...MACHINECONFIGS, body: renderedConfigObject(name, registriesConf) });
}

/** Cluster-scoped: other files (rbac) expect none left behind. */
export async function deleteRenderedConfig(admin: KubeConfig, name: string): Promise<void> {
  await admin
    .makeApiClient(CustomObjectsApi)
    .deleteClusterCustomObject({ ...MACHINECONFIGS, name })
    .catch(() => undefined);
}
