// The triage channel's state in the ConfigMap the rollout notices use (data["triage.json"] beside their
// "state.json"): merge patches that carry the resourceVersion last seen, so a concurrent write by the rollout
// notifier or another replica is a 409 (the notifier reloads) and neither key is ever overwritten by the other.
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { KubeConfig, V1ConfigMap } from '@kubernetes/client-node';
import { emptyTriageState } from '../domain/triage/triage-groups.ts';
import type { TriageState } from '../domain/triage/triage-groups.ts';
import type { TriageStateStore } from '../ports/pull-events.ts';
import { describeKubeError, kubeStatus } from './kube-errors.ts';

export const TRIAGE_STATE_KEY = 'triage.json';
const MAX_BYTES = 400_000;

export class TriageStateConflictError extends Error {}

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
    let text = JSON.stringify(state);
    if (text.length > MAX_BYTES) {
      // resolved groups go first
      const s = structuredClone(state);
      for (const g of Object.values(s.groups)
        .filter((x) => x.resolvedAt !== null)
        .sort((a, b) => a.lastAt - b.lastAt)) {
        delete s.groups[g.key];
        text = JSON.stringify(s);
        if (text.length <= MAX_BYTES) break;
      }
    }
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
