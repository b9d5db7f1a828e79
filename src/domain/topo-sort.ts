// The topological sort the MCO merges mirror lists with (runtime-utils topo.go): a FIFO queue seeded with the
// roots in byte order, successors released in sorted batches, cycles broken by the first unused node in byte
// order. Mirrors with no ordering constraint therefore come out alphabetically, not in object order.
import { byteCompare } from './registries-conf.ts';

export class TopoGraph {
  private readonly out = new Map<string, Set<string>>();
  private readonly incoming = new Map<string, Set<string>>();

  private node(n: string): void {
    if (!this.out.has(n)) {
      this.out.set(n, new Set());
      this.incoming.set(n, new Set());
    }
  }

  addEdge(from: string, to: string): void {
    this.node(from);
    this.node(to);
    this.out.get(from)!.add(to);
    this.incoming.get(to)!.add(from);
  }

  sorted(): string[] {
    const all = [...this.out.keys()].sort(byteCompare);
    const pending = new Map<string, Set<string>>();
    for (const [n, ins] of this.incoming) pending.set(n, new Set(ins));
    const used = new Set<string>();
    const result: string[] = [];
    const queue: string[] = all.filter((n) => pending.get(n)!.size === 0);
    let head = 0;
    let cursor = 0;
    const emit = (n: string): void => {
      used.add(n);
      result.push(n);
      const released: string[] = [];
      for (const succ of this.out.get(n)!) {
        const ins = pending.get(succ)!;
        if (!ins.delete(n)) continue;
        if (ins.size === 0 && !used.has(succ)) released.push(succ);
      }
      queue.push(...released.sort(byteCompare));
    };
    while (result.length < all.length) {
      if (head < queue.length) {
        const n = queue[head++]!;
        if (!used.has(n)) emit(n);
        continue;
      }
      // A cycle: take the first unused node in byte order.
      while (used.has(all[cursor]!)) cursor++;
      emit(all[cursor]!);
    }
    return result;
  }
}
