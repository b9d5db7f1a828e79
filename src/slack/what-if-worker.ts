// The bot's WhatIfEngine: parsing the proposed YAML, the what-if and its report run in a worker thread, so an
// oc-mirror-sized what-if (0.5 s at 10,000 sources, more at 40,000) never holds the event loop that acks Slack.
// Started on the first what-if, terminated by close() (the bot's stop). One what-if at a time in the worker (it
// holds one job's input); up to MAX_WAITING more wait their turn, further ones are refused in one line. The input
// goes over in slices with a turn of the event loop between them (one clone of 40,000 rules would hold it for
// hundreds of ms); the answer comes back as the finished Slack messages and what-if.json text. Errors come back as
// what they were (EngineError with its stage, TypeError, ...), so the flow words them as it does in process.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { HeapTrim } from '../runtime/heap-trim.ts';
import type { ResourceLimits } from 'node:worker_threads';
import { EngineError } from '../domain/engine-error.ts';
import type { EngineStage } from '../domain/engine-error.ts';
import { messageOf } from '../domain/error-text.ts';
import type { ObjectKey } from '../domain/policy-overlay.ts';
import type { PolicySet } from '../domain/policy-set.ts';
import { policySlices, rulesOf } from '../domain/policy-slices.ts';
import type { RuleList } from '../domain/policy-slices.ts';
import type { MachineConfiguration, PoolFacts } from '../domain/node-disruption.ts';
import type { ImageUsage } from '../domain/running-images.ts';
import { computeWhatIfAnswer, parseProposed } from './what-if-compute.ts';
import type { ProposedText, WhatIfAnswer, WhatIfEngine, WhatIfJob } from './what-if-compute.ts';

/** What-ifs that may wait for the one computing; more are refused (each holds its cluster state meanwhile). */
export const MAX_WAITING = 3;
/** Images per message (as [image, [namespace, pods][]]). */
const IMAGES_PER_MESSAGE = 2000;
const MARKER = 'icsp-what-if-worker';

type ImageEntry = [string, Array<[string, number]>];

type Request =
  | { op: 'check'; seq: number; texts: ProposedText[] }
  | {
      op: 'begin';
      job: {
        cluster: string;
        texts: ProposedText[];
        remove: ObjectKey[];
        skeleton: PolicySet;
        pools: PoolFacts[];
        machineConfiguration: MachineConfiguration | null;
        notes: string[];
      };
    }
  | { op: 'rules'; list: RuleList; object: number; rules: unknown[] }
  | { op: 'images'; entries: ImageEntry[] }
  | { op: 'run'; seq: number };

/** A thrown error as it crosses the thread: its class name, message and (EngineError) stage. */
export interface CarriedError {
  name: string;
  message: string;
  stage?: EngineStage;
}

type Reply = { seq: number; ok: true; value: unknown } | { seq: number; ok: false; error: CarriedError };

const JS_ERRORS: Record<string, new (m: string) => Error> = {
  TypeError,
  RangeError,
  ReferenceError,
  SyntaxError,
  EvalError,
  URIError,
};

export function carryError(e: unknown): CarriedError {
  if (e instanceof EngineError) return { name: e.name, message: e.message, stage: e.stage };
  return { name: e instanceof Error ? e.name : 'Error', message: messageOf(e) };
}

/** The error again on this side: an EngineError with its stage, a TypeError as a TypeError, else an Error. */
export function rebuildError(c: CarriedError): Error {
  if (c.name === 'EngineError' && c.stage !== undefined) return new EngineError(c.stage, c.message);
  const K = JS_ERRORS[c.name];
  if (K !== undefined) return new K(c.message);
  const e = new Error(c.message);
  if (c.name !== 'Error') e.name = c.name;
  return e;
}

/** The worker side: assembles one job from its messages, computes it on 'run'. */
function serve(): void {
  const port = parentPort!;
  const heap = new HeapTrim(0);
  let job: WhatIfJob | undefined;
  /** A failure while assembling: the job's 'run' reports it. */
  let failed: unknown;
  const handle = (r: Request): unknown => {
    switch (r.op) {
      case 'check':
        parseProposed(r.texts);
        return undefined;
      case 'begin': {
        failed = undefined;
        const { skeleton, pools, machineConfiguration, notes, ...rest } = r.job;
        job = { ...rest, state: { policies: skeleton, images: new Map(), pools, machineConfiguration, notes } };
        return undefined;
      }
      case 'rules':
        rulesOf(current().state.policies, r.list, r.object).push(...r.rules);
        return undefined;
      case 'images': {
        const images = current().state.images;
        for (const [image, byNs] of r.entries) images.set(image, new Map(byNs));
        return undefined;
      }
      case 'run': {
        const j = job;
        job = undefined;
        if (failed !== undefined) throw failed;
        if (j === undefined) throw new Error('what-if worker: run without input');
        return computeWhatIfAnswer(j);
      }
    }
  };
  const current = (): NonNullable<typeof job> => {
    if (job === undefined) throw new Error('what-if worker: input arrived without a beginning');
    return job;
  };
  port.on('message', (r: Request) => {
    if (r.op !== 'check' && r.op !== 'run') {
      try {
        handle(r);
      } catch (e) {
        failed ??= e;
      }
      return;
    }
    let reply: Reply;
    try {
      reply = { seq: r.seq, ok: true, value: handle(r) };
    } catch (e) {
      reply = { seq: r.seq, ok: false, error: carryError(e) };
    }
    port.postMessage(reply);
    // a what-if at 40,000 sources leaves ~300 MB of freed pages in this thread's heap: give them back now
    if (r.op === 'run') void heap.trim();
  });
}

export interface WorkerWhatIfOptions {
  /** A what-if running longer is stopped (the worker is terminated) and answered with one line. Default 120 s. */
  timeoutMs?: number;
  /** Heap limits of the worker (tests: a small heap makes it fail as it would out of memory). */
  resourceLimits?: ResourceLimits;
}

export class WorkerWhatIfEngine implements WhatIfEngine {
  private worker: Worker | undefined;
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private closed = false;
  /** Settles when the last job queued is done; `queued` counts the one running and those waiting. */
  private turn: Promise<void> = Promise.resolve();
  private queued = 0;
  private readonly timeoutMs: number;
  private readonly resourceLimits: ResourceLimits | undefined;

  constructor(o: WorkerWhatIfOptions = {}) {
    this.timeoutMs = o.timeoutMs ?? 120_000;
    this.resourceLimits = o.resourceLimits;
  }

  /** Whether a worker thread is running (started lazily, gone after close()). */
  get started(): boolean {
    return this.worker !== undefined;
  }

  private ensure(): Worker {
    if (this.closed) throw new Error('the what-if engine is stopped');
    if (this.worker !== undefined) return this.worker;
    const w = new Worker(new URL(import.meta.url), {
      workerData: { [MARKER]: true },
      ...(this.resourceLimits !== undefined ? { resourceLimits: this.resourceLimits } : {}),
    });
    w.unref(); // an idle worker does not keep the process alive
    w.on('message', (r: Reply) => {
      const p = this.pending.get(r.seq);
      if (p === undefined) return;
      this.pending.delete(r.seq);
      if (r.ok) p.resolve(r.value);
      else p.reject(rebuildError(r.error));
    });
    w.on('error', (e) => this.lost(w, e.message));
    w.on('exit', (code) => this.lost(w, `exit code ${code}`));
    this.worker = w;
    return w;
  }

  /** `w` is gone (died, or stopped for taking too long): what waits on it fails in one line. */
  private lost(w: Worker, reason: string): void {
    if (this.worker !== w) return;
    this.worker = undefined;
    for (const p of this.pending.values()) p.reject(new Error(`the what-if worker stopped (${reason}); try again`));
    this.pending.clear();
  }

  /** Posts to `w` while it is the live worker; after it died, the job fails (its input is gone with it). */
  private send(w: Worker, req: Request): void {
    if (this.worker !== w) throw new Error('the what-if worker stopped while it received the input; try again');
    w.postMessage(req);
  }

  private call<T>(w: Worker, req: Request & { seq: number }): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.worker !== w) return reject(new Error('the what-if worker stopped; try again'));
      this.pending.set(req.seq, { resolve: resolve as (v: unknown) => void, reject });
      w.postMessage(req);
    });
  }

  /** Runs `work` when the worker is free; refuses when one runs and MAX_WAITING already wait. */
  private async inTurn<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('the what-if engine is stopped');
    if (this.queued > MAX_WAITING)
      throw new Error(`the bot is computing what-ifs already (${this.queued - 1} waiting); try again in a minute`);
    this.queued += 1;
    const previous = this.turn;
    let done!: () => void;
    this.turn = new Promise<void>((r) => (done = r));
    try {
      await previous;
      return await this.timed(work());
    } finally {
      this.queued -= 1;
      done();
    }
  }

  /** Stops a what-if that runs too long: its worker is terminated (a new one starts for the next). */
  private async timed<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const w = this.worker;
        const limit = this.timeoutMs >= 1000 ? `${Math.round(this.timeoutMs / 1000)} s` : `${this.timeoutMs} ms`;
        reject(
          new Error(`the what-if took longer than ${limit} and was stopped (the CLI's icsp what-if has no limit)`),
        );
        if (w !== undefined) {
          this.lost(w, 'stopped after the time limit');
          void w.terminate();
        }
      }, this.timeoutMs);
    });
    try {
      return await Promise.race([p, timeout]);
    } finally {
      clearTimeout(timer);
      p.catch(() => undefined);
    }
  }

  check(texts: ProposedText[]): Promise<void> {
    return this.inTurn(() => this.call(this.ensure(), { op: 'check', seq: ++this.seq, texts }));
  }

  answer(job: WhatIfJob): Promise<WhatIfAnswer> {
    return this.inTurn(async () => {
      const w = this.ensure();
      const { state } = job;
      const slices = policySlices(state.policies);
      const first = slices.next();
      if (first.done === true || !('skeleton' in first.value)) throw new Error('what-if: no policies to send');
      this.send(w, {
        op: 'begin',
        job: {
          cluster: job.cluster,
          texts: job.texts,
          remove: job.remove,
          skeleton: first.value.skeleton,
          pools: state.pools,
          machineConfiguration: state.machineConfiguration,
          notes: state.notes,
        },
      });
      for (const s of slices) {
        await turnOfLoop();
        if ('rules' in s) this.send(w, { op: 'rules', ...s });
      }
      for (const entries of imageSlices(state.images)) {
        await turnOfLoop();
        this.send(w, { op: 'images', entries });
      }
      return this.call<WhatIfAnswer>(w, { op: 'run', seq: ++this.seq });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    for (const p of this.pending.values()) p.reject(new Error('the what-if engine is stopped'));
    this.pending.clear();
    if (w !== undefined) await w.terminate();
  }
}

const turnOfLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

function* imageSlices(images: ImageUsage): Generator<ImageEntry[]> {
  let batch: ImageEntry[] = [];
  for (const [image, byNs] of images) {
    batch.push([image, [...byNs]]);
    if (batch.length >= IMAGES_PER_MESSAGE) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

if (!isMainThread && (workerData as Record<string, unknown> | null)?.[MARKER] === true) serve();
