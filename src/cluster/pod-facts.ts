// What `why pod NAMESPACE/NAME` reads from a cluster (port PodFacts; the use case is src/app/why-pod.ts): the pod,
// its events, its node's MCO annotations and the registries.conf of the node's current rendered MachineConfig
// (cached by name: rendered names are content hashes). No debug pod. Read-only (RBAC: pods, events, nodes,
// machineconfigs get/list).
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { EngineError } from '../domain/engine-error.ts';
import { machineConfigFile } from '../domain/ignition-file.ts';
import { parseRegistriesConf } from '../domain/registries-conf.ts';
import type { RegistriesConf } from '../domain/registries-conf.ts';
import { TEMPLATE_REGISTRIES_CONF } from '../domain/registries-toml.ts';
import { parsePodRef as parseRef } from '../domain/triage/pod-ref.ts';
import type { PodRef } from '../domain/triage/pod-ref.ts';
import type { EventShape, PodShape } from '../domain/triage/pod-triage.ts';
import type { NodeContext } from '../domain/triage/triage-verdict.ts';
import type { NodeFacts, PodFacts } from '../ports/pod-triage.ts';
import type { MachineConfig } from '../types/machineconfig.ts';
import { describeKubeError, kubeStatus } from './kube-errors.ts';
import { LiveCheckInputError } from './node-selection.ts';

const MCO = { group: 'machineconfiguration.openshift.io', version: 'v1' };

/** NAMESPACE/NAME, both Kubernetes names; anything else is a one-line input error. */
export function parsePodRef(s: string): PodRef {
  const r = parseRef(s);
  if ('error' in r) throw new LiveCheckInputError(r.error);
  return r;
}

/** rendered-<pool>-<hash> -> pool (the MCO's naming); null for anything else. */
export function poolOfRendered(name: string | undefined): string | null {
  const m = name === undefined ? null : /^rendered-(.+)-[0-9a-f]{16,}$/.exec(name);
  return m?.[1] ?? null;
}

export class ClusterPodFacts implements PodFacts {
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  /** Rendered MC name -> its registries.conf (null: writes none). Immutable by name; bounded. */
  private readonly rendered = new Map<string, RegistriesConf | null>();
  /** Node name -> its context and rendered registries.conf, for a few seconds (bursts of events on one node). */
  private readonly nodes = new Map<string, NodeFacts & { at: number }>();

  constructor(kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  async readPod(namespace: string, name: string): Promise<{ pod: PodShape; events: EventShape[] }> {
    let pod: PodShape;
    try {
      pod = (await this.core.readNamespacedPod({ namespace, name })) as PodShape;
    } catch (err) {
      if (kubeStatus(err)?.code === 404) throw new LiveCheckInputError(`pod ${namespace}/${name} not found`);
      throw new Error(describeKubeError(err, `read pod ${namespace}/${name}`), { cause: err });
    }
    const uid = pod.metadata?.uid;
    let events: EventShape[] = [];
    try {
      const list = await this.core.listNamespacedEvent({
        namespace,
        fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${name}`,
      });
      events = (list.items as EventShape[]).filter(
        (e) => uid === undefined || e.involvedObject?.uid === undefined || e.involvedObject.uid === uid,
      );
    } catch {
      // the waiting message alone still says a lot
    }
    return { pod, events };
  }

  /** The node's MCO context and the registries.conf of its current rendered config (cached 30 s). */
  async nodeFacts(nodeName: string | null): Promise<NodeFacts> {
    if (nodeName === null) return { node: { node: null, pool: null, mco: null }, conf: null, notes: [] };
    const hit = this.nodes.get(nodeName);
    if (hit !== undefined && Date.now() - hit.at < 30_000) return hit;
    const node: NodeContext = { node: nodeName, pool: null, mco: null };
    const notes: string[] = [];
    let conf: RegistriesConf | null = null;
    try {
      const n = await this.core.readNode({ name: nodeName });
      const a = n.metadata?.annotations ?? {};
      const current = a['machineconfiguration.openshift.io/currentConfig'];
      const desired = a['machineconfiguration.openshift.io/desiredConfig'];
      const state = a['machineconfiguration.openshift.io/state'];
      node.mco = { ...(current ? { current } : {}), ...(desired ? { desired } : {}), ...(state ? { state } : {}) };
      node.pool =
        poolOfRendered(desired ?? current) ??
        (n.metadata?.labels?.['node-role.kubernetes.io/master'] !== undefined
          ? 'master'
          : n.metadata?.labels?.['node-role.kubernetes.io/worker'] !== undefined
            ? 'worker'
            : null);
      if (current !== undefined) {
        conf = await this.renderedConf(current);
        if (conf === null)
          notes.push(`the node's rendered config ${current} was not found: the plan is the live policies' render`);
      } else
        notes.push(`node ${nodeName} carries no machine-config annotations: the plan is the live policies' render`);
    } catch (err) {
      notes.push(`could not read node ${nodeName} or its rendered config: ${describeKubeError(err, 'read node')}`);
    }
    const facts = { at: Date.now(), node, conf, notes };
    if (this.nodes.size > 256) this.nodes.clear();
    this.nodes.set(nodeName, facts);
    return facts;
  }

  private async renderedConf(name: string): Promise<RegistriesConf | null> {
    if (this.rendered.has(name)) return this.rendered.get(name) ?? null;
    let conf: RegistriesConf | null = null;
    try {
      const mc = (await this.custom.getClusterCustomObject({
        ...MCO,
        plural: 'machineconfigs',
        name,
      })) as MachineConfig;
      const text = machineConfigFile(mc);
      // a rendered config that writes no registries.conf leaves the MCO's template on the node
      conf = parseRegistriesConf(text ?? TEMPLATE_REGISTRIES_CONF, [], `${name}:/etc/containers/registries.conf`);
    } catch (err) {
      if (err instanceof EngineError)
        throw new Error(`${name}: its registries.conf does not parse: ${err.message}`, { cause: err });
      if (kubeStatus(err)?.code !== 404) throw err;
    }
    if (this.rendered.size > 64) this.rendered.clear();
    this.rendered.set(name, conf);
    return conf;
  }
}
