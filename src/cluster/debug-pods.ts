// Runs one short-lived debug pod (src/domain/debug-pod.ts, modelled on `oc debug node`) on one node and returns
// its log: create, follow it (a field-selected watch plus a slow poll as a safety net), fail fast on the
// debug image's own pull failure, read the log once through the API server, delete it. Every wait is bounded,
// and the pod is deleted on every path (success, error, deadline, abort); `DebugPods.shutdown()` deletes the
// pods still in flight (SIGTERM), and `sweep()` removes what an earlier process left behind.
import { randomBytes } from 'node:crypto';
import { CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { KubeWatch } from './kube-watch.ts';
import { buildDebugPod, COMPONENT, DEBUG_POD_LABELS, MANAGED_BY } from '../domain/debug-pod.ts';
import type { ImageReference } from '../domain/reference.ts';
import { describeKubeError, kubeStatus } from './kube-errors.ts';
import { foldLines } from '../domain/error-text.ts';

export interface DebugPodSettings {
  namespace: string;
  serviceAccount: string;
  /** The pod's activeDeadlineSeconds; the bot waits this long plus `waitSlackMs` at most. */
  deadlineSeconds: number;
  waitSlackMs: number;
  /** Bound of every single API call (create, read, log, delete). */
  apiTimeoutMs: number;
  /** Safety-net poll of the pod while the watch follows it. */
  pollMs: number;
  logLimitBytes: number;
}

export const DEFAULT_DEBUG_POD_SETTINGS: DebugPodSettings = {
  namespace: 'icsp-bot-debug',
  serviceAccount: 'icsp-bot-debug',
  deadlineSeconds: 120,
  waitSlackMs: 10_000,
  apiTimeoutMs: 15_000,
  pollMs: 2_000,
  logLimitBytes: 8 * 1024 * 1024,
};

/** Where the time of one pod run went (ms since the run began). */
export interface PodTimings {
  created: number;
  /** The container was seen running (or terminated) first. */
  started?: number;
  finished?: number;
  logRead?: number;
  deleted?: number;
  /** The container's own run, from its status (startedAt → finishedAt, second resolution). */
  containerRunMs?: number;
}

export type PodRun =
  | { ok: true; pod: string; log: string; exitCode: number; timings: PodTimings; notes: string[] }
  | { ok: false; pod: string | null; error: string; log: string; timings: PodTimings; notes: string[] };

const IMAGE_PULL_REASONS = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'RegistryUnavailable',
  'SignatureValidationFailed',
]);
const START_FAILURE_REASONS = new Set(['CreateContainerConfigError', 'RunContainerError']);

type Observation =
  | { kind: 'done'; pod: V1Pod }
  | { kind: 'image-pull'; reason: string; message: string }
  | { kind: 'start-failure'; reason: string; message: string }
  | { kind: 'disrupted'; message: string }
  | { kind: 'deadline'; message: string }
  | { kind: 'gone' }
  | { kind: 'timeout'; pod: V1Pod | undefined }
  | { kind: 'aborted'; reason: string };

/** Rejects after `ms`, or when `signal` aborts, whichever comes first: no wait on the API server is unbounded. */
export function bounded<T>(p: Promise<T>, ms: number, what: string, signal?: AbortSignal): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`cannot ${what}: no answer from the API server within ${Math.round(ms / 1000)} s`)),
      ms,
    );
    if (signal !== undefined) {
      onAbort = () => reject(new Error(`cannot ${what}: ${abortReason(signal)}`));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  return Promise.race([p, t]).finally(() => {
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  });
}

function abortReason(signal: AbortSignal | undefined): string {
  const r: unknown = signal?.reason;
  if (r instanceof Error && r.name === 'TimeoutError') return 'the live check timed out';
  if (r instanceof Error) return r.message;
  return typeof r === 'string' ? r : 'the live check was cancelled';
}

/** What a pod's status says, if it decides the wait. */
function classify(pod: V1Pod): Observation | undefined {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') {
    if (pod.status?.reason === 'DeadlineExceeded') return { kind: 'deadline', message: pod.status.message ?? '' };
    return { kind: 'done', pod };
  }
  const disruption = pod.status?.conditions?.find((c) => c.type === 'DisruptionTarget' && c.status === 'True');
  if (disruption !== undefined)
    return {
      kind: 'disrupted',
      message: `${disruption.reason ?? ''}${disruption.message ? `: ${disruption.message}` : ''}`,
    };
  for (const cs of pod.status?.containerStatuses ?? []) {
    const w = cs.state?.waiting;
    if (w?.reason !== undefined && IMAGE_PULL_REASONS.has(w.reason))
      return { kind: 'image-pull', reason: w.reason, message: w.message ?? '' };
    if (w?.reason !== undefined && START_FAILURE_REASONS.has(w.reason))
      return { kind: 'start-failure', reason: w.reason, message: w.message ?? '' };
  }
  return undefined;
}

function hasStarted(pod: V1Pod | undefined): boolean {
  return (pod?.status?.containerStatuses ?? []).some(
    (cs) => cs.state?.running !== undefined || cs.state?.terminated !== undefined,
  );
}

function lastWaiting(pod: V1Pod | undefined): string {
  if (pod === undefined) return 'the pod was never seen';
  const w = pod.status?.containerStatuses?.[0]?.state?.waiting;
  if (w !== undefined)
    return `container waiting: ${w.reason ?? ''}${w.message ? ` (${foldLines(w.message, 200)})` : ''}`;
  if (pod.status?.containerStatuses?.[0]?.state?.running !== undefined) return 'the check was still running';
  return `phase ${pod.status?.phase ?? 'unknown'}`;
}

/** A 403 on pod creation, said for what it is: RBAC, Pod Security admission or OpenShift SCC admission. */
export function describeCreateError(err: unknown, node: string, namespace: string, serviceAccount: string): string {
  const s = kubeStatus(err);
  if (s?.code === 403) {
    if (/violates PodSecurity/i.test(s.message)) {
      return (
        `Pod Security admission forbids the debug pod in namespace ${namespace} (${foldLines(s.message, 300)}): ` +
        `label the namespace pod-security.kubernetes.io/enforce=privileged (manifests/namespaces.yaml)`
      );
    }
    if (/security context constraint|securitycontextconstraints/i.test(s.message)) {
      return (
        `SCC admission forbids the debug pod (${foldLines(s.message, 300)}): ` +
        `ServiceAccount ${namespace}/${serviceAccount} needs "use" on SCC privileged ` +
        `(RoleBinding to system:openshift:scc:privileged in manifests/rbac.yaml)`
      );
    }
    if (/service ?account/i.test(s.message) && !/cannot create resource/.test(s.message)) {
      return (
        `cannot create the debug pod on ${node}: ${foldLines(s.message, 300)} ` +
        `(ServiceAccount ${namespace}/${serviceAccount} must exist: manifests/serviceaccounts.yaml)`
      );
    }
    return (
      `cannot create the debug pod on ${node}: forbidden: ${foldLines(s.message, 300)}; the bot's ` +
      `ServiceAccount needs "create" on pods in namespace ${namespace} (Role icsp-bot-debug in ` +
      `manifests/rbac.yaml)`
    );
  }
  return describeKubeError(err, `create the debug pod on ${node} in namespace ${namespace}`);
}

interface Inflight {
  namespace: string;
  abort: AbortController;
  settled: Promise<void>;
}

export interface RunOptions {
  node: string;
  image: string;
  reference: ImageReference;
  signal?: AbortSignal;
}

export class DebugPods {
  readonly settings: DebugPodSettings;
  /** Labels this process's pods carry (app.kubernetes.io/managed-by, component, run id). */
  readonly runId: string;
  private readonly core: CoreV1Api;
  /** Follows the pods; its request count says how often a pod's watch was (re)started. */
  readonly watcher: KubeWatch;
  private readonly inflight = new Map<string, Inflight>();
  private closing = false;

  /** Debug pods created (or being created) and not yet deleted: the metrics gauge. */
  inFlight(): number {
    return this.inflight.size;
  }

  constructor(kc: KubeConfig, settings: Partial<DebugPodSettings> = {}) {
    this.settings = { ...DEFAULT_DEBUG_POD_SETTINGS, ...settings };
    this.core = kc.makeApiClient(CoreV1Api);
    this.watcher = new KubeWatch(kc);
    this.runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  }

  /** Names of the debug pods this process has in flight (created or being created). */
  inflightPods(): string[] {
    return [...this.inflight.keys()];
  }

  get shuttingDown(): boolean {
    return this.closing;
  }

  /** Runs the check on one node. Never throws: failures come back as { ok: false, error }, one line. */
  async run(o: RunOptions): Promise<PodRun> {
    const s = this.settings;
    const t0 = Date.now();
    const timings: PodTimings = { created: 0 };
    const at = (): number => Date.now() - t0;
    const notes: string[] = [];
    if (this.closing)
      return { ok: false, pod: null, error: 'the bot is shutting down: no new debug pods', log: '', timings, notes };
    const body = buildDebugPod({
      node: o.node,
      namespace: s.namespace,
      serviceAccount: s.serviceAccount,
      image: o.image,
      reference: o.reference,
      runId: this.runId,
      deadlineSeconds: s.deadlineSeconds,
      suffix: randomBytes(4).toString('hex').slice(0, 5),
    });
    const name = body.metadata.name;
    // every failure after the pod has a name: its log (if any was read), the timings and notes so far
    const failed = (error: string, log = ''): PodRun => ({ ok: false, pod: name, error, log, timings, notes });
    const abort = new AbortController();
    const onOuterAbort = (): void => abort.abort(o.signal?.reason);
    if (o.signal?.aborted) return { ok: false, pod: null, error: abortReason(o.signal), log: '', timings, notes };
    o.signal?.addEventListener('abort', onOuterAbort, { once: true });
    let release!: () => void;
    const settled = new Promise<void>((r) => (release = r));
    // Registered before the create call: a shutdown during the call still finds (and deletes) the pod.
    this.inflight.set(name, { namespace: s.namespace, abort, settled });
    let created = false;
    try {
      let rv: string | undefined;
      try {
        const p = await bounded(
          this.core.createNamespacedPod({ namespace: s.namespace, body: body as unknown as V1Pod }),
          s.apiTimeoutMs,
          `create the debug pod on ${o.node}`,
        );
        created = true;
        rv = p.metadata?.resourceVersion;
      } catch (err) {
        // A timed-out create may still land: the finally block deletes by name either way.
        created = kubeStatus(err) === undefined;
        return failed(describeCreateError(err, o.node, s.namespace, s.serviceAccount));
      }
      timings.created = at();
      const deadlineMs = s.deadlineSeconds * 1000 + s.waitSlackMs;
      const seen = await this.follow(name, rv, deadlineMs, abort.signal, () => {
        timings.started ??= at();
      });
      timings.finished = at();
      switch (seen.kind) {
        case 'done':
          break;
        case 'image-pull':
          return failed(
            `the debug image ${o.image} cannot be pulled on ${o.node} (${seen.reason}` +
              `${seen.message ? `: ${foldLines(seen.message, 300)}` : ''}): a mirror problem is suspected; set ` +
              `ICSP_DEBUG_IMAGE (CLI: --debug-image) to a debug image the node can pull (a mirrored tools or ` +
              `support-tools image)`,
          );
        case 'start-failure':
          return failed(
            `the debug container cannot start on ${o.node} (${seen.reason}: ${foldLines(seen.message, 300)})`,
          );
        case 'disrupted':
          return failed(
            `the debug pod on ${o.node} was evicted or preempted before ` +
              `it finished (${foldLines(seen.message, 300)})`,
          );
        case 'deadline':
          return failed(
            `the check on ${o.node} did not finish within its ${s.deadlineSeconds} s ` +
              `deadline (activeDeadlineSeconds): the pod was stopped and deleted`,
            await this.readLog(name).catch(() => ''),
          );
        case 'timeout':
          return failed(
            `the check on ${o.node} did not finish within ${Math.round(deadlineMs / 1000)} s ` +
              `(deadline ${s.deadlineSeconds} s; ${lastWaiting(seen.pod)}): the pod was deleted`,
            hasStarted(seen.pod) ? await this.readLog(name).catch(() => '') : '',
          );
        case 'gone':
          return failed(
            `the debug pod on ${o.node} disappeared before it finished ` +
              `(deleted by someone else, or the node was removed)`,
          );
        case 'aborted':
          return failed(`${seen.reason}: the check on ${o.node} was stopped and its pod deleted`);
      }
      const pod = seen.pod;
      const term = pod.status?.containerStatuses?.[0]?.state?.terminated;
      if (term?.startedAt !== undefined && term.finishedAt !== undefined)
        timings.containerRunMs = new Date(term.finishedAt).getTime() - new Date(term.startedAt).getTime();
      let log: string;
      try {
        log = await this.readLog(name);
      } catch (err) {
        return failed(describeKubeError(err, `read the debug pod's log on ${o.node} (pods/log)`));
      }
      timings.logRead = at();
      const exitCode = term?.exitCode ?? (pod.status?.phase === 'Succeeded' ? 0 : -1);
      if (pod.status?.phase === 'Failed' && term === undefined) {
        return failed(
          `the debug pod on ${o.node} failed before its container ran (${pod.status.reason ?? ''}` +
            `${pod.status.message ? `: ${foldLines(pod.status.message, 300)}` : ''})`,
          log,
        );
      }
      return { ok: true, pod: name, log, exitCode, timings, notes };
    } finally {
      o.signal?.removeEventListener('abort', onOuterAbort);
      const del = await this.deletePod(name);
      if (del !== null && created) notes.push(del);
      timings.deleted = at();
      this.inflight.delete(name);
      release();
    }
  }

  private async readLog(name: string): Promise<string> {
    const s = this.settings;
    const read = (extra: { limitBytes?: number; tailLines?: number }): Promise<string> =>
      bounded(
        this.core.readNamespacedPodLog({ name, namespace: s.namespace, container: 'container-00', ...extra }),
        s.apiTimeoutMs,
        `read the log of pod ${name}`,
      );
    const head = await read({ limitBytes: s.logLimitBytes });
    if (Buffer.byteLength(head) < s.logLimitBytes) return head;
    // Cut at the limit: the end of the log carries the script's summary line, so fetch the last lines as well.
    const tail = await read({ tailLines: 3 });
    return `${head}\n${tail}`;
  }

  /** Deletes a debug pod at once (grace 0). Returns a note when it could not (the sweep will). */
  async deletePod(name: string, namespace = this.settings.namespace): Promise<string | null> {
    try {
      await bounded(
        this.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0, body: { gracePeriodSeconds: 0 } }),
        this.settings.apiTimeoutMs,
        `delete debug pod ${name}`,
      );
      return null;
    } catch (err) {
      if (kubeStatus(err)?.code === 404) return null;
      return `${describeKubeError(err, `delete debug pod ${namespace}/${name}`)} (the next start's sweep removes it)`;
    }
  }

  /** Follows the pod until its status decides the run, it vanishes, the bound passes or `signal` fires. */
  private follow(
    name: string,
    rv: string | undefined,
    boundMs: number,
    signal: AbortSignal,
    onStarted: () => void,
  ): Promise<Observation> {
    const { namespace, pollMs } = this.settings;
    return new Promise<Observation>((resolveObs) => {
      let settled = false;
      let lastSeen: V1Pod | undefined;
      let watchAbort: AbortController | undefined;
      // Timeouts and the poll interval (clearTimeout clears both in Node); empty when an already aborted signal
      // finishes before anything is set up.
      const timers: NodeJS.Timeout[] = [];
      const finish = (o: Observation): void => {
        if (settled) return;
        settled = true;
        for (const t of timers) clearTimeout(t);
        watchAbort?.abort();
        signal.removeEventListener('abort', onAbort);
        resolveObs(o);
      };
      const consider = (pod: V1Pod): void => {
        if (settled) return;
        lastSeen = pod;
        if (hasStarted(pod)) onStarted();
        const o = classify(pod);
        if (o !== undefined) finish(o);
      };
      const onAbort = (): void => finish({ kind: 'aborted', reason: abortReason(signal) });
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      timers.push(setTimeout(() => finish({ kind: 'timeout', pod: lastSeen }), boundMs));
      const readOnce = (): void => {
        bounded(this.core.readNamespacedPod({ name, namespace }), this.settings.apiTimeoutMs, `read pod ${name}`).then(
          consider,
          (err: unknown) => {
            if (kubeStatus(err)?.code === 404) finish({ kind: 'gone' });
          },
        );
      };
      timers.push(setInterval(readOnce, pollMs));
      const startWatch = (fromRv: string | undefined): void => {
        if (settled) return;
        const query: Record<string, string> = { fieldSelector: `metadata.name=${name}` };
        if (fromRv !== undefined) query.resourceVersion = fromRv;
        this.watcher
          .watch(
            `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
            query,
            (type: string, obj: V1Pod) => {
              if (type === 'DELETED') finish({ kind: 'gone' });
              else if (type === 'ADDED' || type === 'MODIFIED') consider(obj);
            },
            () => {
              // The watch ended (server timeout, 410, network): read once and watch again from now.
              if (settled) return;
              timers.push(
                setTimeout(() => {
                  readOnce();
                  startWatch(undefined);
                }, 200),
              );
            },
          )
          .then(
            (c) => {
              if (settled) c.abort();
              else watchAbort = c;
            },
            () => {
              if (!settled) timers.push(setTimeout(() => startWatch(undefined), 500));
            },
          );
      };
      startWatch(rv);
      // The create may have raced ahead of the watch: one read settles what was missed.
      readOnce();
    });
  }

  /**
   * Deletes every debug pod still in flight (grace 0) and waits, bounded, for their runs to settle; then
   * removes anything of this process's run id that a racing create left behind. No new pods after this.
   */
  async shutdown(timeoutMs = 10_000): Promise<void> {
    this.closing = true;
    const all = [...this.inflight.entries()];
    for (const [, f] of all) f.abort.abort(new Error('the bot is shutting down'));
    await Promise.all(all.map(([name, f]) => this.deletePod(name, f.namespace)));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(all.map(([, f]) => f.settled)),
      new Promise<void>((r) => (timer = setTimeout(r, timeoutMs))),
    ]);
    clearTimeout(timer);
    await this.sweep({ olderThanMs: 0, runId: this.runId }).catch(() => undefined);
  }

  /**
   * Deletes leftover debug pods (label selector app.kubernetes.io/managed-by=icsp-bot, component node-check)
   * older than `olderThanMs` (default: the pod deadline plus slack: no live check of any replica is that old).
   * Returns the names deleted.
   */
  async sweep(opts: { olderThanMs?: number; runId?: string; now?: number } = {}): Promise<string[]> {
    const s = this.settings;
    const olderThanMs = opts.olderThanMs ?? s.deadlineSeconds * 1000 + s.waitSlackMs;
    const now = opts.now ?? Date.now();
    let selector = `${DEBUG_POD_LABELS.managedBy}=${MANAGED_BY},${DEBUG_POD_LABELS.component}=${COMPONENT}`;
    if (opts.runId !== undefined) selector += `,${DEBUG_POD_LABELS.runId}=${opts.runId}`;
    const list = await bounded(
      this.core.listNamespacedPod({ namespace: s.namespace, labelSelector: selector }),
      s.apiTimeoutMs,
      `list debug pods in ${s.namespace}`,
    );
    const old = list.items.filter((p) => {
      const created = p.metadata?.creationTimestamp;
      const name = p.metadata?.name;
      // A pod of a check still running here is not leftover (except when shutting this run down).
      if (name === undefined || (opts.runId === undefined && this.inflight.has(name))) return false;
      return created === undefined || now - new Date(created).getTime() >= olderThanMs;
    });
    const deleted: string[] = [];
    await Promise.all(
      old.map(async (p) => {
        const name = p.metadata?.name ?? '';
        if ((await this.deletePod(name)) === null) deleted.push(name);
      }),
    );
    return deleted.sort();
  }
}
