// Gives a burst's memory back to the system. V8 keeps the heap pages a GC freed committed, in a pool for reuse, and
// discards them only in a memory-reducing GC, which a bot that is never quite idle does not get: after the initial
// list of 50,000 kubelet events the pool held ~140 MB of RSS for good (bench/triage-scale-bench.ts; still there
// after 150 s idle). The inspector's HeapProfiler.collectGarbage is such a GC (V8's LowMemoryNotification), reached
// in-process through node:inspector: no port is opened, no debugger attached.
import { Session } from 'node:inspector/promises';

export class HeapTrim {
  private session: Session | undefined;
  private last = -Infinity;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly minIntervalMs: number;
  private readonly now: () => number;
  /** Trims done (tests, benches). */
  trims = 0;

  /** @param minIntervalMs a trim costs a full GC (~0.1 s at 100 MB): one per this interval at most */
  constructor(minIntervalMs = 1_000, now: () => number = () => performance.now()) {
    this.minIntervalMs = minIntervalMs;
    this.now = now;
  }

  async trim(): Promise<void> {
    if (this.closed || this.now() - this.last < this.minIntervalMs) return;
    this.last = this.now();
    try {
      if (this.session === undefined) {
        this.session = new Session();
        this.session.connect();
      }
      await this.session.post('HeapProfiler.collectGarbage');
      this.trims++;
    } catch {
      // a node without the inspector: the pool stays until V8 reduces memory itself; nothing else depends on it
    }
  }

  /** One trim once no other call came for `delayMs`: jobs that come in pairs (build, then drop) cost one GC. */
  soon(delayMs = 200): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.trim(), delayMs);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.session?.disconnect();
    this.session = undefined;
  }
}
