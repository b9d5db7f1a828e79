// A watch-backed cache of one resource kind, built on client-node's informer (its ListWatch, what makeInformer
// builds, given a KubeWatch so an idle watch is not cut every 30 s): relists after 410 Gone (the informer does),
// restarts itself after any other error (the informer stops), treats a missing CRD (404) as "none of this kind"
// (clusters before 4.13 have no IDMS/ITMS), and knows when it has gone stale.
import { CoreV1Api, CustomObjectsApi, ListWatch } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { kubeStatus } from './kube-errors.ts';
import { KubeWatch } from './kube-watch.ts';
import { errorText } from '../domain/error-text.ts';
import { silentLog } from '../ports/logger.ts';
import type { LogSink } from '../ports/logger.ts';

export interface ResourceSpec {
  /** "" for the core group. */
  group: string;
  version: string;
  plural: string;
  /** Cluster-scoped when absent. */
  namespace?: string;
  labelSelector?: string;
}

export type CollectionEvent = 'add' | 'update' | 'delete' | 'resync';

export interface WatchedCollectionOptions {
  /** Delay before restarting a watch that failed with something other than 410 (default 5 s). */
  restartDelayMs?: number;
  /** A collection that has seen no event nor successful relist for this long is stale (default 10 min). */
  staleAfterMs?: number;
  /** Periodic relist, to heal silent stalls (default 5 min; 0 disables). */
  resyncMs?: number;
  /** Watch errors, restarts and failed relists are logged here (default: silent). */
  logger?: LogSink;
  now?: () => number;
}

export function resourcePath(r: ResourceSpec): string {
  const base = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  return r.namespace !== undefined ? `${base}/namespaces/${r.namespace}/${r.plural}` : `${base}/${r.plural}`;
}

export class WatchedCollection<T extends KubernetesObject> {
  readonly spec: ResourceSpec;
  /** The CRD is not installed: the collection is empty and says so. */
  missing = false;
  synced = false;
  restarts = 0;
  private lastContact = 0;
  private readonly kc: KubeConfig;
  private readonly opts: Required<WatchedCollectionOptions>;
  private informer: ListWatch<T> | undefined;
  /** The informer's watch; its request count says how often the watch was (re)started. */
  readonly watch: KubeWatch;
  private readonly listeners: Array<(e: CollectionEvent, obj?: T) => void> = [];
  private timers: NodeJS.Timeout[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(kc: KubeConfig, spec: ResourceSpec, opts: WatchedCollectionOptions = {}) {
    this.kc = kc;
    this.spec = spec;
    this.watch = new KubeWatch(kc);
    this.opts = {
      restartDelayMs: 5_000,
      staleAfterMs: 600_000,
      resyncMs: 300_000,
      now: Date.now,
      logger: silentLog,
      ...opts,
    };
  }

  on(listener: (e: CollectionEvent, obj?: T) => void): void {
    this.listeners.push(listener);
  }

  private emit(e: CollectionEvent, obj?: T): void {
    this.lastContact = this.opts.now();
    for (const l of this.listeners) l(e, obj);
  }

  private async listOnce(): Promise<KubernetesListObject<T>> {
    const { group, version, plural, namespace, labelSelector } = this.spec;
    if (group === '') {
      const core = this.kc.makeApiClient(CoreV1Api);
      const sel = labelSelector ? { labelSelector } : {};
      let res: unknown;
      if (plural === 'nodes') res = await core.listNode(sel);
      else if (plural === 'pods' && namespace !== undefined) res = await core.listNamespacedPod({ namespace, ...sel });
      else if (plural === 'configmaps' && namespace !== undefined)
        res = await core.listNamespacedConfigMap({ namespace, ...sel });
      else throw new Error(`WatchedCollection: core resource ${plural} is not supported`);
      this.lastContact = this.opts.now();
      return res as KubernetesListObject<T>;
    }
    const api = this.kc.makeApiClient(CustomObjectsApi);
    const args = { group, version, plural, ...(labelSelector ? { labelSelector } : {}) };
    const res =
      namespace !== undefined
        ? await api.listNamespacedCustomObject({ ...args, namespace })
        : await api.listClusterCustomObject(args);
    this.lastContact = this.opts.now();
    return res as KubernetesListObject<T>;
  }

  /** Resolves after the first list (or after finding the CRD missing). Throws on 401/403 and other first errors. */
  async start(): Promise<void> {
    this.stopped = false;
    try {
      await this.listOnce();
    } catch (err) {
      if (kubeStatus(err)?.code === 404) {
        this.missing = true;
        this.synced = true;
        this.lastContact = this.opts.now();
        this.emit('resync');
        return;
      }
      throw err;
    }
    // makeInformer(kc, path, listFn, labelSelector) is exactly this with a plain Watch (30 s inactivity timeout)
    const informer = new ListWatch<T>(
      resourcePath(this.spec),
      this.watch,
      () => this.listOnce(),
      false,
      this.spec.labelSelector,
    );
    this.informer = informer;
    informer.on('add', (o) => this.emit('add', o));
    informer.on('update', (o) => this.emit('update', o));
    informer.on('delete', (o) => this.emit('delete', o));
    informer.on('connect', () => {
      this.lastContact = this.opts.now();
    });
    // One pending restart at a time; a restart that fails schedules the next one.
    const scheduleRestart = (): void => {
      if (this.stopped || this.restartTimer !== undefined) return;
      this.restarts++;
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        if (this.stopped) return;
        informer.start().catch((e: unknown) => {
          this.opts.logger.warn(
            { resource: resourcePath(this.spec), err: errorText(e), restartInMs: this.opts.restartDelayMs },
            'watch restart failed; retrying',
          );
          scheduleRestart();
        });
      }, this.opts.restartDelayMs);
    };
    informer.on('error', (err) => {
      this.opts.logger.warn(
        { resource: resourcePath(this.spec), err: errorText(err), restartInMs: this.opts.restartDelayMs },
        'watch failed; restarting',
      );
      scheduleRestart();
    });
    await informer.start();
    this.synced = true;
    this.emit('resync');
    if (this.opts.resyncMs > 0) {
      const t = setInterval(() => {
        // A relist proves the API is reachable and heals a watch that stalled silently.
        this.listOnce().then(
          () => this.emit('resync'),
          (e: unknown) =>
            this.opts.logger.warn({ resource: resourcePath(this.spec), err: errorText(e) }, 'periodic relist failed'),
        );
      }, this.opts.resyncMs);
      t.unref();
      this.timers.push(t);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    void this.informer?.stop();
  }

  list(): readonly T[] {
    return this.missing || this.informer === undefined ? [] : this.informer.list();
  }

  get(name: string): T | undefined {
    return this.list().find((o) => o.metadata?.name === name);
  }

  isStale(): boolean {
    return !this.synced || this.opts.now() - this.lastContact > this.opts.staleAfterMs;
  }
}
