// The bot's GenerationEngine: policy generations live in a worker thread, so rendering oc-mirror-sized policies
// (hundreds of ms at 10,000 sources, seconds at 40,000) and judging a node's registries.conf against them never
// hold the event loop that acks Slack. The main thread sends a snapshot (plain objects) once per generation and
// then small messages per answer; what comes back is the answer, never the index. docs/policy-generations.md.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { HeapTrim } from '../runtime/heap-trim.ts';
import type { Explanation } from '../domain/explain.ts';
import type { ParsedReference } from '../domain/parsed-reference.ts';
import type { PolicySet } from '../domain/policy-set.ts';
import type { PolicySnapshot } from './live-policies.ts';
import type { LiveJudgement } from '../domain/live-verdict.ts';
import { messageOf } from '../domain/error-text.ts';
import { policySlices, rulesOf } from '../domain/policy-slices.ts';
import type { RuleList } from '../domain/policy-slices.ts';
import { GenerationTable } from './policy-generation.ts';
import type { GenerationEngine, GenerationJudgeInput } from './policy-generation.ts';

type Request =
  | { op: 'begin'; id: number; skeleton: PolicySet }
  | { op: 'rules'; id: number; list: RuleList; object: number; rules: unknown[] }
  | { op: 'build'; id: number }
  | { op: 'explain'; id: number; reference: ParsedReference | string }
  | { op: 'judge'; id: number; input: GenerationJudgeInput }
  | { op: 'drop'; id: number };

type Reply = { seq: number; ok: true; value: unknown } | { seq: number; ok: false; error: string };

const MARKER = 'icsp-generation-worker';

/** The worker side: one GenerationTable, one request at a time (the worker's own event loop). */
function serve(): void {
  const port = parentPort!;
  const heap = new HeapTrim(0);
  const table = new GenerationTable();
  const incoming = new Map<number, PolicySet>();
  const assembling = (id: number): PolicySet => {
    const p = incoming.get(id);
    if (p === undefined) throw new Error(`policy generation ${id}: parts arrived without a beginning`);
    return p;
  };
  const handle = (r: Request): unknown => {
    switch (r.op) {
      case 'begin':
        incoming.set(r.id, r.skeleton);
        return undefined;
      case 'rules':
        rulesOf(assembling(r.id), r.list, r.object).push(...r.rules);
        return undefined;
      case 'build': {
        const policies = assembling(r.id);
        incoming.delete(r.id);
        return table.build(r.id, { policies });
      }
      case 'explain':
        return table.explain(r.id, r.reference);
      case 'judge':
        return table.judge(r.id, r.input);
      case 'drop':
        incoming.delete(r.id);
        return table.drop(r.id);
    }
  };
  port.on('message', (m: { seq: number; req: Request }) => {
    let reply: Reply;
    try {
      const value = handle(m.req);
      reply = { seq: m.seq, ok: true, value };
    } catch (e) {
      reply = { seq: m.seq, ok: false, error: messageOf(e) };
    }
    port.postMessage(reply);
    // building a generation of 40,000 sources frees ~100 MB of this thread's heap per build, and the drop of the
    // one it replaces as much again: give it back once the pair is done
    if (m.req.op === 'build' || m.req.op === 'drop') heap.soon();
  });
}

export class WorkerGenerationEngine implements GenerationEngine {
  private worker: Worker | undefined;
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private closed = false;
  /** Told when the worker died and its generations are gone (the store rebuilds). */
  onLost: ((reason: string) => void) | undefined;

  private ensure(): Worker {
    if (this.worker !== undefined) return this.worker;
    const w = new Worker(new URL(import.meta.url), { workerData: { [MARKER]: true } });
    w.on('message', (r: Reply) => {
      const p = this.pending.get(r.seq);
      if (p === undefined) return;
      this.pending.delete(r.seq);
      if (r.ok) p.resolve(r.value);
      else p.reject(new Error(r.error));
    });
    const lost = (reason: string): void => {
      if (this.worker !== w) return;
      this.worker = undefined;
      for (const p of this.pending.values()) p.reject(new Error(`the policy engine worker stopped (${reason})`));
      this.pending.clear();
      if (!this.closed) this.onLost?.(reason);
    };
    w.on('error', (e) => lost(e.message));
    w.on('exit', (code) => lost(`exit code ${code}`));
    this.worker = w;
    return w;
  }

  private call<T>(req: Request): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the policy engine is stopped'));
    const worker = this.ensure();
    const seq = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(seq, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ seq, req });
    });
  }

  async build(id: number, snap: PolicySnapshot): Promise<{ ms: number }> {
    // Only the policies cross (the staleness and input warnings stay with the store on this side), in slices
    // with a turn of the event loop between them: one clone of 40,000 rules would hold it for a few hundred ms.
    const sent: Array<Promise<unknown>> = [];
    for (const part of policySlices(snap.policies)) {
      sent.push(
        'skeleton' in part
          ? this.call({ op: 'begin', id, skeleton: part.skeleton })
          : this.call({ op: 'rules', id, ...part }),
      );
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(sent);
    return this.call({ op: 'build', id });
  }

  explain(id: number, reference: ParsedReference | string): Promise<Explanation> {
    return this.call({ op: 'explain', id, reference });
  }

  judge(id: number, input: GenerationJudgeInput): Promise<LiveJudgement> {
    return this.call({ op: 'judge', id, input });
  }

  drop(id: number): void {
    if (this.worker !== undefined) void this.call({ op: 'drop', id }).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    for (const p of this.pending.values()) p.reject(new Error('the policy engine is stopped'));
    this.pending.clear();
    if (w !== undefined) await w.terminate();
  }
}

if (!isMainThread && (workerData as Record<string, unknown> | null)?.[MARKER] === true) serve();
