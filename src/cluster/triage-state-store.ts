// The triage channel's state in the ConfigMap the rollout notices use (data["triage.json"] beside their
// "state.json"): merge patches that carry the resourceVersion last seen, so a concurrent write by the rollout
// notifier or another replica is a 409 (the notifier reloads) and neither key is ever overwritten by the other.
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { KubeConfig, V1ConfigMap } from '@kubernetes/client-node';
import { MAX_PODS, emptyTriageState } from '../domain/triage/triage-groups.ts';
import type { TriageGroup, TriageState } from '../domain/triage/triage-groups.ts';
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
  // sized per group (small, short-lived strings) instead of stringifying the whole state (about 1.3 MB at 10,000
  // pods, straight into V8's large-object space) at every step; the text returned is the same
  const groupBytes = (key: string, g: TriageGroup): number => JSON.stringify(key).length + 1 + JSON.stringify(g).length;
  const keys = Object.keys(state.groups);
  const bytes = new Map(keys.map((k) => [k, groupBytes(k, state.groups[k]!)]));
  const rest = JSON.stringify({ ...state, groups: {} }).length;
  let total = rest + Math.max(0, keys.length - 1);
  for (const b of bytes.values()) total += b;
  if (total <= maxBytes) return JSON.stringify(state);
  // a copy that shares what it does not change (groups and their pods maps are copied before they are changed)
  const s: TriageState = { ...state, groups: { ...state.groups } };
  let n = keys.length;
  for (const [k] of Object.entries(s.groups)
    .filter(([, x]) => x.resolvedAt !== null)
    .sort(([, a], [, b]) => a.lastAt - b.lastAt)) {
    delete s.groups[k];
    total -= bytes.get(k)! + (--n > 0 ? 1 : 0);
    if (total <= maxBytes) return JSON.stringify(s);
  }
  for (let cap = Math.floor(MAX_PODS / 2); cap >= 1 && total > maxBytes; cap = Math.floor(cap / 2)) {
    for (const [k, g0] of Object.entries(s.groups)) {
      const keys = Object.keys(g0.pods);
      if (keys.length <= cap) continue;
      const g = { ...g0, pods: { ...g0.pods } };
      s.groups[k] = g;
      const failingFirst = [...keys].sort((a, b) => Number(g.pods[a]!.resolved) - Number(g.pods[b]!.resolved));
      for (const p of failingFirst.slice(cap)) delete g.pods[p];
      g.extraPods += keys.length - cap;
      const b = groupBytes(k, g);
      total += b - bytes.get(k)!;
      bytes.set(k, b);
    }
  }
  return JSON.stringify(s);
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
