// Bounds on what a YAML text may expand into. js-yaml shares one object per anchor, so an alias costs nothing at
// parse time but everything later (a walk, JSON.stringify, an error message): a 700-byte "billion laughs" expands
// to billions of nodes, and an alias to its own ancestor makes a cycle. The parser limits the number of aliases;
// this walk, bounded by its own budget, measures the expanded tree and refuses cycles before anyone else walks it.

export interface YamlLimits {
  /** Alias nodes (`*name`) allowed per document (js-yaml's maxAliases). */
  maxAliases: number;
  /** Nodes that aliases may add once expanded, per text (the walk stops as soon as this is exceeded). */
  maxAliasNodes: number;
  /** Nesting depth of the expanded tree (the parser already limits the written nesting to 100). */
  maxDepth: number;
}

export const DEFAULT_YAML_LIMITS: YamlLimits = { maxAliases: 1000, maxAliasNodes: 100_000, maxDepth: 200 };

/** Why a document is refused; undefined when it is within the limits. */
export function checkExpandedSize(docs: readonly unknown[], limits: YamlLimits): string | undefined {
  const seen = new Set<object>();
  const onPath = new Set<object>();
  let aliasNodes = 0;
  // Explicit stack (no recursion): enter a value at a depth, or leave an object (it is off the path again).
  type Step = { v: unknown; depth: number; insideAlias: boolean } | { leave: object };
  const stack: Step[] = [];
  for (let i = docs.length - 1; i >= 0; i--) stack.push({ v: docs[i], depth: 0, insideAlias: false });
  while (stack.length > 0) {
    const top = stack.pop()!;
    if ('leave' in top) {
      onPath.delete(top.leave);
      continue;
    }
    const { v, depth, insideAlias } = top;
    if (insideAlias && ++aliasNodes > limits.maxAliasNodes) {
      return `aliases expand to more than ${limits.maxAliasNodes} nodes (a "billion laughs" document?)`;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (onPath.has(v)) return 'an alias refers to a node that contains it (a cycle)';
    if (depth >= limits.maxDepth) return `nesting deeper than ${limits.maxDepth} levels once aliases are expanded`;
    const again = seen.has(v);
    seen.add(v);
    onPath.add(v);
    stack.push({ leave: v });
    const children: unknown[] = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
    for (let i = children.length - 1; i >= 0; i--)
      stack.push({ v: children[i], depth: depth + 1, insideAlias: insideAlias || again });
  }
  return undefined;
}
