// The cluster side of `why pod NAMESPACE/NAME`: reads the pod, its events and its node, the registries.conf of
// the node's current rendered MachineConfig (cached by name: rendered names are content hashes) and the plan of
// the live policies, and hands them to the pure triage. No debug pod. Read-only (RBAC: pods, events, nodes,
// machineconfigs get/list).
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { EngineError } from '../domain/engine-error.ts';
import { explain } from '../domain/explain.ts';
import type { Explanation } from '../domain/explain.ts';
import { machineConfigFile } from '../domain/ignition-file.ts';
import { parseRegistriesConf } from '../domain/registries-conf.ts';
import type { RegistriesConf } from '../domain/registries-conf.ts';
import { TEMPLATE_REGISTRIES_CONF } from '../domain/registries-toml.ts';
import { triagePod } from '../domain/triage/pod-triage.ts';
import { parsePodRef as parseRef } from '../domain/triage/pod-ref.ts';
import type { PodRef } from '../domain/triage/pod-ref.ts';
import type { PodTriager } from '../ports/pod-triage.ts';
import type { EventShape, PodShape, PodTriage } from '../domain/triage/pod-triage.ts';
import type { NodeContext } from '../domain/triage/triage-verdict.ts';
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

export interface PodTriagerDeps {
  /** The plan of the live policies (the cluster's PolicySource). */
  explainPolicies: (image: string) => Promise<Explanation>;
}

export class ClusterPodTriager implements PodTriager {
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  /** Rendered MC name -> its registries.conf (null: writes none). Immutable by name; bounded. */
  private readonly rendered = new Map<string, RegistriesConf | null>();
  private readonly deps: PodTriagerDeps;

  constructor(kc: KubeConfig, deps: PodTriagerDeps) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.deps = deps;
  }

  async triage(namespace: string, name: string): Promise<PodTriage> {
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
      const list = await this.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${name}` });
      events = (list.items as EventShape[]).filter((e) => uid === undefined || e.involvedObject?.uid === undefined || e.involvedObject.uid === uid);
    } catch {
      // the waiting message alone still says a lot
    }
    const nodeName = pod.spec?.nodeName ?? null;
    const node: NodeContext = { node: nodeName, pool: null, mco: null };
    let nodeConf: RegistriesConf | null = null;
    const notes: string[] = [];
    if (nodeName !== null) {
      try {
        const n = await this.core.readNode({ name: nodeName });
        const a = n.metadata?.annotations ?? {};
        const current = a['machineconfiguration.openshift.io/currentConfig'];
        const desired = a['machineconfiguration.openshift.io/desiredConfig'];
        const state = a['machineconfiguration.openshift.io/state'];
        node.mco = { ...(current ? { current } : {}), ...(desired ? { desired } : {}), ...(state ? { state } : {}) };
        node.pool = poolOfRendered(desired ?? current) ?? (n.metadata?.labels?.['node-role.kubernetes.io/master'] !== undefined ? 'master' : n.metadata?.labels?.['node-role.kubernetes.io/worker'] !== undefined ? 'worker' : null);
        if (current !== undefined) {
          nodeConf = await this.renderedConf(current);
          if (nodeConf === null) notes.push(`the node's rendered config ${current} was not found: the plan is the live policies' render`);
        } else notes.push(`node ${nodeName} carries no machine-config annotations: the plan is the live policies' render`);
      } catch (err) {
        notes.push(`could not read node ${nodeName} or its rendered config: ${describeKubeError(err, 'read node')}`);
      }
    }
    const plans = new Map<string, { nodePlan: Explanation | null; policyPlan: Explanation | null }>();
    for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
      const image = c.image;
      if (image === undefined || plans.has(image)) continue;
      const policyPlan = await this.deps.explainPolicies(image).catch(() => null);
      const nodePlan = nodeConf !== null ? explain({ reference: image, conf: nodeConf }) : policyPlan;
      plans.set(image, { nodePlan, policyPlan });
    }
    const t = triagePod(pod, events, node, (image) => plans.get(image) ?? { nodePlan: null, policyPlan: null });
    t.notes.push(...notes);
    return t;
  }

  private async renderedConf(name: string): Promise<RegistriesConf | null> {
    if (this.rendered.has(name)) return this.rendered.get(name) ?? null;
    let conf: RegistriesConf | null = null;
    try {
      const mc = (await this.custom.getClusterCustomObject({ ...MCO, plural: 'machineconfigs', name })) as MachineConfig;
      const text = machineConfigFile(mc);
      // a rendered config that writes no registries.conf leaves the MCO's template on the node
      conf = parseRegistriesConf(text ?? TEMPLATE_REGISTRIES_CONF, [], `${name}:/etc/containers/registries.conf`);
    } catch (err) {
      if (err instanceof EngineError) throw new Error(`${name}: its registries.conf does not parse: ${err.message}`, { cause: err });
      if (kubeStatus(err)?.code !== 404) throw err;
    }
    if (this.rendered.size > 64) this.rendered.clear();
    this.rendered.set(name, conf);
    return conf;
  }
}
