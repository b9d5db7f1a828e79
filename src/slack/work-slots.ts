// Bounded background work: at most N request handlers do Slack work (explain, posts, uploads) at once, so a
// burst of commands cannot starve the acks of the ones still arriving. A handler gives its slot back while it
// waits for something slow that is not Slack work (a live check), via `outside`.

export class WorkSlots {
  private free: number;
  private readonly waiters: Array<() => void> = [];

  constructor(size: number) {
    this.free = size;
  }

  private async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return;
    }
    await new Promise<void>((r) => this.waiters.push(r));
  }

  private release(): void {
    const next = this.waiters.shift();
    if (next !== undefined) next();
    else this.free += 1;
  }

  /** Runs work holding a slot. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  /** Inside run(): gives the slot back while waiting for `slow`, then takes one again. */
  async outside<T>(slow: Promise<T>): Promise<T> {
    this.release();
    try {
      return await slow;
    } finally {
      await this.acquire();
    }
  }
}
