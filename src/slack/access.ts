// Who may do what, and how much: allowed channels, live-check users and user groups (group membership resolved
// through an injected lookup and cached), a per-user rate limit, a global cap on concurrent live checks, and
// sharing of identical in-flight checks. No Slack import: the group lookup is a function.

export type Clock = () => number;

export function channelAllowed(allowed: ReadonlySet<string> | null, channel: string): boolean {
  return allowed === null || allowed.has(channel);
}

/** Sliding-window limit of N requests per window and user. */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();
  private readonly max: number;
  private readonly windowMs: number;
  private readonly now: Clock;

  constructor(max: number, windowMs: number, now: Clock = Date.now) {
    this.max = max;
    this.windowMs = windowMs;
    this.now = now;
  }

  /** Records a request; returns 0 when allowed, else how many ms until the next one would be. */
  take(user: string): number {
    const t = this.now();
    const list = (this.hits.get(user) ?? []).filter((h) => h > t - this.windowMs);
    if (list.length >= this.max) {
      this.hits.set(user, list);
      return list[0]! + this.windowMs - t;
    }
    list.push(t);
    this.hits.set(user, list);
    if (this.hits.size > 10_000)
      for (const [u, l] of this.hits) if (l.every((h) => h <= t - this.windowMs)) this.hits.delete(u);
    return 0;
  }
}

export class BusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BusyError';
  }
}

/** At most `max` tasks at once; up to `maxQueue` wait, more are refused with BusyError. */
export class ConcurrencyGate {
  private running = 0;
  private readonly queue: Array<() => void> = [];
  private readonly max: number;
  private readonly maxQueue: number;

  constructor(max: number, maxQueue: number) {
    this.max = max;
    this.maxQueue = maxQueue;
  }

  get active(): number {
    return this.running;
  }

  get waiting(): number {
    return this.queue.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) {
      if (this.queue.length >= this.maxQueue)
        throw new BusyError(
          `too many live checks running (${this.running}) and waiting (${this.queue.length}); try again in a minute`,
        );
      await new Promise<void>((resolve) => this.queue.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await task();
    } finally {
      const next = this.queue.shift();
      if (next !== undefined) next();
      else this.running -= 1;
    }
  }
}

/** Identical requests in flight share one promise. */
export class InFlight<T> {
  private readonly pending = new Map<string, Promise<T>>();

  get size(): number {
    return this.pending.size;
  }

  /** Returns the shared promise and whether this caller joined an existing one. */
  run(key: string, task: () => Promise<T>): { promise: Promise<T>; shared: boolean } {
    const existing = this.pending.get(key);
    if (existing !== undefined) return { promise: existing, shared: true };
    const p = task().finally(() => this.pending.delete(key));
    this.pending.set(key, p);
    return { promise: p, shared: false };
  }
}

/** Live-check permission: listed user IDs, or members of listed user groups (S…), membership cached. */
export class LiveAccess {
  private readonly users: Set<string>;
  private readonly groups: string[];
  private readonly cache = new Map<string, { members: Set<string>; at: number }>();
  private readonly lookup: (groupId: string) => Promise<string[]>;
  private readonly ttlMs: number;
  private readonly now: Clock;

  constructor(
    entries: Iterable<string>,
    lookup: (groupId: string) => Promise<string[]>,
    ttlMs: number,
    now: Clock = Date.now,
  ) {
    const all = [...entries];
    this.users = new Set(all.filter((e) => !e.startsWith('S')));
    this.groups = all.filter((e) => e.startsWith('S'));
    this.lookup = lookup;
    this.ttlMs = ttlMs;
    this.now = now;
  }

  get anyone(): boolean {
    return this.users.size > 0 || this.groups.length > 0;
  }

  private async members(group: string): Promise<Set<string>> {
    const hit = this.cache.get(group);
    if (hit !== undefined && this.now() - hit.at < this.ttlMs) return hit.members;
    const members = new Set(await this.lookup(group));
    this.cache.set(group, { members, at: this.now() });
    return members;
  }

  /** Rejects when a group lookup fails and no membership younger than twice the TTL is cached. */
  async mayRunLive(user: string): Promise<boolean> {
    if (this.users.has(user)) return true;
    for (const g of this.groups) {
      try {
        if ((await this.members(g)).has(user)) return true;
      } catch (e) {
        // While Slack cannot answer, a recent membership still counts, but not forever: someone removed from
        // the group must not keep live-check rights because the lookup keeps failing.
        const stale = this.cache.get(g);
        if (stale === undefined || this.now() - stale.at > 2 * this.ttlMs) throw e;
        if (stale.members.has(user)) return true;
      }
    }
    return false;
  }
}
