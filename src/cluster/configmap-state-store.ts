// The notifier's state in a ConfigMap of the bot's namespace (data["state.json"]), written with optimistic
// concurrency: every replace carries the resourceVersion last seen, so two writers can never silently overwrite
// each other (409 -> StateConflictError; the notifier reloads and recomputes, level-triggered).
import { CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig, V1ConfigMap } from '@kubernetes/client-node';
import { emptyState, pruneState } from '../domain/notifier-state.ts';
import type { NotifierState } from '../domain/notifier-state.ts';
import { StateConflictError } from '../ports/state-store.ts';
import type { StateStore } from '../ports/state-store.ts';
import { describeKubeError, kubeStatus } from './kube-errors.ts';
import { errorText } from '../domain/error-text.ts';
import { silentLog } from '../ports/logger.ts';
import type { LogSink } from '../ports/logger.ts';

const KEY = 'state.json';
/** ConfigMaps hold at most 1 MiB; stay well below, dropping finished rollouts first. */
const MAX_BYTES = 900_000;

export class ConfigMapStateStore implements StateStore {
  private readonly api: CoreV1Api;
  private resourceVersion: string | undefined;
  /** The ConfigMap's other keys (the triage channel's triage.json): kept on every replace. */
  private others: Record<string, string> = {};
  readonly namespace: string;
  readonly name: string;

  private readonly logger: LogSink;

  constructor(kc: KubeConfig, namespace: string, name: string, logger: LogSink = silentLog) {
    this.api = kc.makeApiClient(CoreV1Api);
    this.namespace = namespace;
    this.name = name;
    this.logger = logger;
  }

  async load(): Promise<NotifierState> {
    let cm: V1ConfigMap;
    try {
      cm = await this.api.readNamespacedConfigMap({ name: this.name, namespace: this.namespace });
    } catch (e) {
      if (kubeStatus(e)?.code === 404) {
        this.resourceVersion = undefined;
        return emptyState();
      }
      throw new Error(describeKubeError(e, `read ConfigMap ${this.namespace}/${this.name}`), { cause: e });
    }
    this.resourceVersion = cm.metadata?.resourceVersion;
    this.others = Object.fromEntries(Object.entries(cm.data ?? {}).filter(([k]) => k !== KEY));
    const raw = cm.data?.[KEY];
    if (raw === undefined) return emptyState();
    // Unreadable state is not fatal (the notifier re-derives everything level-triggered), but it is said: the
    // notices of rollouts in flight may be posted again.
    const where = `${this.namespace}/${this.name}`;
    try {
      const s = JSON.parse(raw) as NotifierState;
      if (s.version === 1) return s;
      this.logger.warn(
        { configMap: where, version: (s as { version?: unknown }).version ?? null },
        'rollout state has an unknown version; starting from an empty state',
      );
    } catch (e) {
      this.logger.warn(
        { configMap: where, err: errorText(e) },
        'rollout state is not readable JSON; starting from an empty state',
      );
    }
    return emptyState();
  }

  async save(state: NotifierState): Promise<void> {
    let s = pruneState(state);
    let text = JSON.stringify(s);
    for (let keep = 10; text.length > MAX_BYTES && keep >= 0; keep -= 5) {
      s = pruneState(state, keep);
      text = JSON.stringify(s);
    }
    const body: V1ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: this.name,
        namespace: this.namespace,
        labels: { 'app.kubernetes.io/name': 'icsp-bot', 'app.kubernetes.io/component': 'rollout-notifier' },
        ...(this.resourceVersion !== undefined ? { resourceVersion: this.resourceVersion } : {}),
      },
      data: { ...this.others, [KEY]: text },
    };
    try {
      const r =
        this.resourceVersion === undefined
          ? await this.api.createNamespacedConfigMap({ namespace: this.namespace, body })
          : await this.api.replaceNamespacedConfigMap({ name: this.name, namespace: this.namespace, body });
      this.resourceVersion = r.metadata?.resourceVersion;
    } catch (e) {
      const code = kubeStatus(e)?.code;
      if (code === 409)
        throw new StateConflictError(`ConfigMap ${this.namespace}/${this.name} was changed by someone else`);
      throw new Error(describeKubeError(e, `write ConfigMap ${this.namespace}/${this.name}`), { cause: e });
    }
  }
}
