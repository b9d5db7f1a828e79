// Coalesces a burst of policy events (oc-mirror or GitOps applying twenty objects) into one flush: the flush runs
// once no event has arrived for `windowMs`, or at the latest `maxWaitMs` after the first event of the burst, so a
// steady trickle cannot postpone the notice forever.
import type { Clock } from '../ports/clock.ts';

export class Coalescer {
  private readonly windowMs: number;
  private readonly maxWaitMs: number;
  private readonly flush: () => void;
  private readonly clock: Clock;
  private first: number | null = null;
  private timer: unknown;
  /** Events absorbed into the current burst. */
  burst = 0;

  constructor(windowMs: number, flush: () => void, clock: Clock, maxWaitMs = Math.max(windowMs * 3, windowMs)) {
    this.windowMs = windowMs;
    this.maxWaitMs = maxWaitMs;
    this.flush = flush;
    this.clock = clock;
  }

  get pending(): boolean {
    return this.first !== null;
  }

  touch(): void {
    const now = this.clock.now();
    this.first ??= now;
    this.burst++;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    const due = Math.min(now + this.windowMs, this.first + this.maxWaitMs);
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, due - now));
  }

  private fire(): void {
    this.timer = undefined;
    this.first = null;
    this.burst = 0;
    this.flush();
  }

  cancel(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.first = null;
    this.burst = 0;
  }
}
