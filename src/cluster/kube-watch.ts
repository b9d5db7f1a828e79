// Every Kubernetes watch the bot makes (the policy informers of WatchedCollection, the debug-pod watch, the
// triage event watch) is a KubeWatch: client-node's Watch with one inactivity timeout and bookmarks requested.
// client-node 2.x aborts a watch stream after 30 s without a byte (Watch's TS-private `requestTimeoutMs`, no
// constructor option). An idle watch gets no byte but the API server's bookmarks, about one a minute and only
// when asked for (allowWatchBookmarks), so with the default every idle watch ended and restarted twice a minute
// (a new request, and for the informers a new watch from the last resourceVersion). With bookmarks and 150 s, an
// idle watch lives until the API server's own timeout (--min-request-timeout, 30-60 min), and a stream that is
// really dead (no bookmark for 2.5 bookmark periods) is still noticed and restarted.
import { Watch } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';

/** A watch with no byte (event or bookmark) for this long is presumed dead. */
export const WATCH_INACTIVITY_MS = 150_000;

/** The field of client-node's Watch (2.x, dist/watch.js) that holds the stream's inactivity timeout. */
const TIMEOUT_FIELD = 'requestTimeoutMs';

/**
 * Sets the inactivity timeout of a client-node Watch through its TS-private field. Throws when the field is not
 * there as a number (a client-node upgrade renamed or hid it): the bot would otherwise silently go back to 30 s.
 */
export function setInactivityTimeout(watch: object, ms: number): void {
  const current: unknown = (watch as Record<string, unknown>)[TIMEOUT_FIELD];
  if (!Object.hasOwn(watch, TIMEOUT_FIELD) || typeof current !== 'number') {
    throw new Error(
      `@kubernetes/client-node's Watch has no numeric "${TIMEOUT_FIELD}" field any more (found ` +
        `${Object.hasOwn(watch, TIMEOUT_FIELD) ? typeof current : 'none'}): the watch inactivity timeout cannot ` +
        `be set and idle watches would restart every 30 s; adapt src/cluster/kube-watch.ts to the new ` +
        `node_modules/@kubernetes/client-node/dist/watch.js`,
    );
  }
  (watch as Record<string, unknown>)[TIMEOUT_FIELD] = ms;
}

/** client-node's Watch with the bot's inactivity timeout and bookmarks; counts the watch requests it makes. */
export class KubeWatch extends Watch {
  /** Watch requests made: one per stream, so every restart counts (tests, metrics). */
  requests = 0;

  constructor(kc: KubeConfig, inactivityMs = WATCH_INACTIVITY_MS) {
    super(kc);
    setInactivityTimeout(this, inactivityMs);
  }

  /** Bookmarks keep an idle stream alive (and move its resourceVersion on); a caller may still say otherwise. */
  override watch(...[path, query, callback, done]: Parameters<Watch['watch']>): Promise<AbortController> {
    this.requests++;
    return super.watch(path, { allowWatchBookmarks: true, ...query }, callback, done);
  }
}
