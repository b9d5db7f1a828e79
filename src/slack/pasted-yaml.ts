// A YAML snippet pasted after `/icsp what-if` (or `@icsp-bot what-if`), possibly in code fences. Pure.

/** The YAML of a pasted snippet: the text after `what-if` and its `remove=KIND/NAME` words, code fences removed. */
export function pastedYaml(rest: string): { yaml: string; remove: string[] } {
  const remove: string[] = [];
  let text = rest.replace(/^\s+/, '');
  for (;;) {
    const m = /^remove=(\S+)\s*/.exec(text);
    if (m === null) break;
    remove.push(m[1]!.replace(/^`+|`+$/g, ''));
    text = text.slice(m[0].length);
  }
  const fenced = /```(?:ya?ml)?\n?([\s\S]*?)```/g;
  const parts = [...text.matchAll(fenced)].map((m) => m[1]!);
  return { yaml: parts.length > 0 ? parts.join('\n---\n') : text, remove };
}
