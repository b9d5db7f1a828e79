// The kubelet's pull-failure events, cluster-wide, without watching pods: one field-selected list+watch per event
// reason (Failed, InspectFailed, BackOff; involvedObject.kind=Pod). Nothing is cached: each event goes to the
// listener, which keeps what matters. The list is read in pages (a 50,000-event cluster is ~70 MB of JSON in one
// response otherwise) and waits between pages until the listener has room (opts.room). A watch that ends is
// resumed from the last resourceVersion; 410 Gone (expired) relists, so events are delivered again and the
// listener must be idempotent; other errors retry after a delay. Idle, each reason costs one long watch request
// per server timeout (the requests counter): the API server's bookmarks (about one a minute) keep it alive within
// the watch inactivity timeout (src/cluster/kube-watch.ts).
import { CoreV1Api } from '@kubernetes/client-node';
import type { CoreV1Event, KubeConfig } from '@kubernetes/client-node';
import { KubeWatch } from './kube-watch.ts';
import type { KubeletPullEvent, PullEventSource } from '../ports/pull-events.ts';

export const PULL_EVENT_REASONS = ['Failed', 'InspectFailed', 'BackOff'] as const;

/** Events per list page: bounds the memory of the initial list (and of a relist after 410). */
export const LIST_PAGE_SIZE = 500;

/** The messages that are about pulling an image (the same reasons also carry container failures). */
export function isPullMessage(reason: string, message: string): boolean {
  if (reason === 'BackOff') return message.startsWith('Back-off pulling image ');
  return message.startsWith('Failed to pull image ') || message.startsWith('Failed to inspect image ');
}

export function toPullEvent(e: CoreV1Event): KubeletPullEvent | null {
  const o = e.involvedObject;
  const reason = e.reason ?? '';
  const message = e.message ?? '';
  if (o?.kind !== 'Pod' || o.name === undefined || o.namespace === undefined || !isPullMessage(reason, message))
    return null;
  const c = /^spec\.(?:initContainers|containers)\{(.+)\}$/.exec(o.fieldPath ?? '');
  const seen = e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp;
  const at = seen === undefined ? NaN : new Date(seen).getTime();
  return {
    namespace: o.namespace,
    pod: o.name,
    uid: o.uid ?? null,
    container: c?.[1] ?? null,
    node: e.source?.host ?? e.reportingInstance ?? null,
    reason,
    message,
    at: Number.isFinite(at) ? at : null,
  };
}

export interface PullEventWatchOptions {
  restartDelayMs?: number;
  /** Watch from this resourceVersion instead of listing first (tests of the 410 path). */
  initialResourceVersion?: string;
  onError?: (err: unknown) => void;
  /** Awaited between list pages: resolves when the listener can take another page (backpressure). */
  room?: () => Promise<void>;
  /** Called when a reason's list (the initial one, or a relist after 410) has been handed to the listener. */
  listed?: () => void;
}

export class PullEventWatch implements PullEventSource {
  private readonly core: CoreV1Api;
  private readonly watch: KubeWatch;
  private readonly opts: { restartDelayMs: number } & PullEventWatchOptions;
  private readonly aborts = new Set<AbortController>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  requests = 0;
  /** Relists after 410 Gone (tests, metrics). */
  relists = 0;

  constructor(kc: KubeConfig, opts: PullEventWatchOptions = {}) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.watch = new KubeWatch(kc);
    this.opts = { restartDelayMs: 5_000, ...opts };
  }

  async start(listener: (e: KubeletPullEvent) => void): Promise<void> {
    this.stopped = false;
    await Promise.all(
      PULL_EVENT_REASONS.map((reason) => this.loop(reason, listener, this.opts.initialResourceVersion)),
    );
  }

  stop(): void {
    this.stopped = true;
    for (const a of this.aborts) a.abort();
    for (const t of this.timers) clearTimeout(t);
    this.aborts.clear();
    this.timers.clear();
  }

  private later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  /** List (when rv is undefined), then watch from rv; resumes itself until stopped. */
  private async loop(reason: string, listener: (e: KubeletPullEvent) => void, rv: string | undefined): Promise<void> {
    if (this.stopped) return;
    const fieldSelector = `involvedObject.kind=Pod,reason=${reason}`;
    let from = rv;
    try {
      if (from === undefined) {
        // pages of one consistent snapshot: every page carries its resourceVersion; an expired continue token
        // (410) lands in the catch below and the list starts over after the delay
        let next: string | undefined;
        do {
          if (next !== undefined) await this.opts.room?.();
          if (this.stopped) return;
          this.requests++;
          const list = await this.core.listEventForAllNamespaces({
            fieldSelector,
            limit: LIST_PAGE_SIZE,
            ...(next !== undefined ? { _continue: next } : {}),
          });
          for (const e of list.items) {
            const p = toPullEvent(e);
            if (p !== null) listener(p);
          }
          from = list.metadata?.resourceVersion;
          next = list.metadata?._continue || undefined;
        } while (next !== undefined);
        this.opts.listed?.();
      }
    } catch (err) {
      this.opts.onError?.(err);
      this.later(() => void this.loop(reason, listener, undefined), this.opts.restartDelayMs);
      return;
    }
    let last = from;
    let gone = false;
    this.requests++;
    let abort: AbortController | undefined;
    try {
      abort = await this.watch.watch(
        '/api/v1/events',
        { fieldSelector, allowWatchBookmarks: true, ...(from !== undefined ? { resourceVersion: from } : {}) },
        (type: string, obj: CoreV1Event & { code?: number }) => {
          if (type === 'ERROR') {
            if (obj.code === 410) gone = true;
            return;
          }
          const v = obj.metadata?.resourceVersion;
          if (v !== undefined) last = v;
          if (type === 'BOOKMARK' || type === 'DELETED') return;
          const p = toPullEvent(obj);
          if (p !== null) listener(p);
        },
        (err: unknown) => {
          if (abort !== undefined) this.aborts.delete(abort);
          if (this.stopped) return;
          const code =
            (err as { statusCode?: number; code?: number } | null)?.statusCode ??
            (err as { code?: number } | null)?.code;
          if (gone || code === 410) {
            this.relists++;
            void this.loop(reason, listener, undefined);
          } else if (err !== null && err !== undefined && !(err instanceof Error && err.name === 'AbortError')) {
            this.opts.onError?.(err);
            this.later(() => void this.loop(reason, listener, last), this.opts.restartDelayMs);
          } else {
            // the server ended the watch (its timeout): resume where it stopped
            void this.loop(reason, listener, last);
          }
        },
      );
      this.aborts.add(abort);
    } catch (err) {
      this.opts.onError?.(err);
      this.later(() => void this.loop(reason, listener, last), this.opts.restartDelayMs);
    }
  }
}
