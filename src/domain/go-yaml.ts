// A YAML emitter for plain JSON-like data in the layout oc prints (sigs.k8s.io/yaml over go-yaml v3, indent 4):
// keys sorted, a collection under a key aligned to the next multiple of 4, a mapping inside a sequence item just
// after its "- ". Strings that would read back as another type are double-quoted.
import { load } from 'js-yaml';

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

const INDENT = 4;

function scalar(v: string | number | boolean | null): string {
  if (typeof v !== 'string') return String(v);
  if (v === '' || /^[\s\-?:,[\]{}#&*!|>'"%@`]/.test(v) || /[:#]\s|\s$|\n/.test(v)) return JSON.stringify(v);
  let reread: unknown;
  try {
    reread = load(v);
  } catch {
    return JSON.stringify(v);
  }
  return reread === v ? v : JSON.stringify(v);
}

const alignNext = (indent: number): number => INDENT * Math.floor((indent + INDENT) / INDENT);

function isCollection(v: Json): v is Json[] | { [k: string]: Json } {
  return typeof v === 'object' && v !== null && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0);
}

function emitMapping(obj: { [k: string]: Json }, indent: number, firstInline: boolean, out: string[]): void {
  Object.keys(obj)
    .sort()
    .forEach((k, i) => {
      const pad = i === 0 && firstInline ? '' : ' '.repeat(indent);
      const v = obj[k]!;
      if (isCollection(v)) {
        out.push(`${pad}${k}:\n`);
        emitValue(v, alignNext(indent), out);
      } else {
        out.push(`${pad}${k}: ${Array.isArray(v) ? '[]' : typeof v === 'object' && v !== null ? '{}' : scalar(v)}\n`);
      }
    });
}

function emitValue(v: Json[] | { [k: string]: Json }, indent: number, out: string[]): void {
  if (!Array.isArray(v)) {
    emitMapping(v, indent, false, out);
    return;
  }
  for (const item of v) {
    out.push(`${' '.repeat(indent)}- `);
    if (isCollection(item) && !Array.isArray(item)) emitMapping(item, indent + 2, true, out);
    else if (isCollection(item)) {
      out.push('\n');
      emitValue(item, indent + 2, out);
    } else out.push(`${scalar(item as string)}\n`);
  }
}

export function dumpGoYaml(doc: object): string {
  const out: string[] = [];
  emitMapping(JSON.parse(JSON.stringify(doc)) as { [k: string]: Json }, 0, false, out);
  return out.join('');
}
