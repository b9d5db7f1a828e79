// The triage channel's state in the ConfigMap the rollout notices use (data["triage.json"] beside their
// "state.json"): merge patches that carry the resourceVersion last seen, so a concurrent write by the rollout
// notifier or another replica is a 409 (the notifier reloads) and neither key is ever overwritten by the other.
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { KubeConfig, V1ConfigMap } from '@kubernetes/client-node';
import { MAX_PODS, emptyTriageState } from '../domain/triage/triage-groups.ts';
import type { TriageState } from '../domain/triage/triage-groups.ts';
import type { TriageStateStore } from '../ports/pull-events.ts';
import { describeKubeError, kubeStatus } from './kube-errors.ts';

export const TRIAGE_STATE_KEY = 'triage.json';
const MAX_BYTES = 400_000;

export class TriageStateConflictError extends Error {}

/**
 * The stored JSON, at most maxBytes (a ConfigMap holds 1 MiB, the rollout notices' state.json included; 10,000
 * failing pods are ~1.3 MB in full and the API server refused every write with 422). Resolved groups go first,
 * oldest first; then each open group keeps fewer pods (halving from MAX_PODS, failing pods first) and counts the
 * rest in extraPods, as it does beyond MAX_PODS. What is lost: after a restart those pods are not known by name,
 * so one that fails again is counted a second time and is not read by the resolution check.
 */
export function storedTriageText(state: TriageState, maxBytes = MAX_BYTES): string {
  let text = JSON.stringify(state);
  if (text.length <= maxBytes) return text;
  const s = structuredClone(state);
  for (const g of Object.values(s.groups)
    .filter((x) => x.resolvedAt !== null)
    .sort((a, b) => a.lastAt - b.lastAt)) {
    delete s.groups[g.key];
    text = JSON.stringify(s);
    if (text.length <= maxBytes) return text;
  }
  for (let cap = Math.floor(MAX_PODS / 2); cap >= 1 && text.length > maxBytes; cap = Math.floor(cap / 2)) {
    for (const g of Object.values(s.groups)) {
      const keys = Object.keys(g.pods);
      if (keys.length <= cap) continue;
      const failingFirst = [...keys].sort((a, b) => Number(g.pods[a]!.resolved) - Number(g.pods[b]!.resolved));
      for (const k of failingFirst.slice(cap)) delete g.pods[k];
      g.extraPods += keys.length - cap;
    }
    text = JSON.stringify(s);
  }
  return text;
}

export class ConfigMapTriageStateStore implements TriageStateStore {
  private readonly api: CoreV1Api;
  private resourceVersion: string | undefined;
  private exists = false;
  readonly namespace: string;
  readonly name: string;

  constructor(kc: KubeConfig, namespace: string, name: string) {
    this.api = kc.makeApiClient(CoreV1Api);
    this.namespace = namespace;
    this.name = name;
  }

  async load(): Promise<TriageState> {
    let cm: V1ConfigMap;
    try {
      cm = await this.api.readNamespacedConfigMap({ name: this.name, namespace: this.namespace });
    } catch (e) {
      if (kubeStatus(e)?.code === 404) {
        this.exists = false;
        this.resourceVersion = undefined;
        return emptyTriageState();
      }
      throw new Error(describeKubeError(e, `read ConfigMap ${this.namespace}/${this.name}`), { cause: e });
    }
    this.exists = true;
    this.resourceVersion = cm.metadata?.resourceVersion;
    const raw = cm.data?.[TRIAGE_STATE_KEY];
    if (raw === undefined) return emptyTriageState();
    try {
      const s = JSON.parse(raw) as TriageState;
      return s.version === 1 && typeof s.groups === 'object' ? s : emptyTriageState();
    } catch {
      return emptyTriageState();
    }
  }

  async save(state: TriageState): Promise<void> {
    const text = storedTriageText(state);
    try {
      if (!this.exists) {
        const r = await this.api.createNamespacedConfigMap({
          namespace: this.namespace,
          body: {
            metadata: {
              name: this.name,
              namespace: this.namespace,
              labels: { 'app.kubernetes.io/name': 'icsp-bot', 'app.kubernetes.io/component': 'notifier' },
            },
            data: { [TRIAGE_STATE_KEY]: text },
          },
        });
        this.exists = true;
        this.resourceVersion = r.metadata?.resourceVersion;
        return;
      }
      const r = await this.api.patchNamespacedConfigMap(
        {
          name: this.name,
          namespace: this.namespace,
          body: { metadata: { resourceVersion: this.resourceVersion }, data: { [TRIAGE_STATE_KEY]: text } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      this.resourceVersion = r.metadata?.resourceVersion;
    } catch (e) {
      const code = kubeStatus(e)?.code;
      if (code === 409)
        throw new TriageStateConflictError(`ConfigMap ${this.namespace}/${this.name} was changed by someone else`);
      throw new Error(describeKubeError(e, `write ConfigMap ${this.namespace}/${this.name}`), { cause: e });
    }
  }
}
