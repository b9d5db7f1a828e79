// Hostile input is refused fast and small: alias bombs ("billion laughs") at two sizes, a self-referencing anchor,
// endless stdin, and files over the input cap at two sizes. Each case runs in a fresh process (so its peak RSS is
// its own) that loads the input as the CLI does and reports the time of the refusal and the process's peak RSS.
// Limits: refused (exit-2 class input error) within 1 s, peak RSS under 300 MB.
import { spawnSync } from 'node:child_process';
import { createReadStream, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPolicyPaths } from '../src/files/policy-files.ts';
import { EngineError } from '../src/domain/engine-error.ts';
import { processTempDir } from '../test/helpers/temp-dir.ts';

const self = fileURLToPath(import.meta.url);

if (process.argv[2] === '--child') {
  // One case: [path or "-", stdin file or ""]
  const [path, stdinFrom] = [process.argv[3]!, process.argv[4]!];
  const stdin = stdinFrom === '' ? createReadStream('/dev/null') : createReadStream(stdinFrom);
  const t0 = performance.now();
  let refused = '';
  try {
    await loadPolicyPaths([path], stdin);
  } catch (e) {
    refused = e instanceof EngineError && e.stage === 'input' ? e.message : `NOT AN INPUT ERROR: ${String(e)}`;
  }
  const ms = performance.now() - t0;
  stdin.destroy();
  console.log(JSON.stringify({ ms, rssMb: process.resourceUsage().maxRSS / 1024, refused }));
  process.exit(0);
}

// removed when the process exits, whatever the outcome (a 10 GB sparse file must not stay behind)
const tmp = processTempDir('icsp-hostile-bench-');
function laughs(levels: number): string {
  const lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < levels; i++)
    lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(',')}]`);
  return `apiVersion: v1\nkind: List\n${lines.join('\n')}\nitems: [*a${levels - 1}, *a${levels - 1}]\n`;
}
const file = (name: string, text: string): string => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};
const sparse = (name: string, bytes: number): string => {
  const p = file(name, '');
  truncateSync(p, bytes);
  return p;
};

interface Result {
  ms: number;
  rssMb: number;
  refused: string;
}
function run(path: string, stdinFrom = ''): Result {
  const r = spawnSync(process.execPath, [self, '--child', path, stdinFrom], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as Result;
  } catch {
    return { ms: Number.NaN, rssMb: Number.NaN, refused: `child failed: ${r.stderr.slice(0, 200)}` };
  }
}

const base = run(join(tmp, '..', 'nonexistent-icsp-bench-input'));
console.log(`  a fresh process with the loader's modules: ${base.rssMb.toFixed(0)} MB peak RSS`);
const cases: Array<[string, string, string?]> = [
  ['alias bomb, 10^9 nodes (9 levels, 0.7 KB)', file('bomb9.yaml', laughs(9))],
  ['alias bomb, 10^12 nodes (12 levels, 1 KB)', file('bomb12.yaml', laughs(12))],
  [
    'self-referencing anchor (a cycle)',
    file('cycle.yaml', 'kind: List\napiVersion: v1\nitems: &a [ {kind: List, items: *a} ]\n'),
  ],
  ['endless stdin (/dev/zero), cap 64 MiB', '-', '/dev/zero'],
  ['file of 100 MB', sparse('100m.yaml', 100 * 1024 * 1024)],
  ['file of 10 GB', sparse('10g.yaml', 10 * 1024 * 1024 * 1024)],
];
let ok = true;
const ms: number[] = [];
for (const [name, path, stdin] of cases) {
  const r = run(path, stdin);
  ms.push(r.ms);
  const good = !r.refused.startsWith('NOT') && r.refused !== '' && r.ms < 1000 && r.rssMb < 300;
  if (!good) ok = false;
  console.log(
    `  ${name.padEnd(44)} refused in ${r.ms.toFixed(1).padStart(6)} ms, peak RSS ` +
      `${r.rssMb.toFixed(0).padStart(3)} MB` +
      `${good ? '' : `  FAIL (limits: refused, 1000 ms, 300 MB): ${r.refused.slice(0, 120)}`}`,
  );
}
const ratio = (a: number, b: number): string => `${(ms[a]! / Math.max(ms[b]!, 0.01)).toFixed(2)}x`;
console.log(
  `  ratio 10^12/10^9 alias nodes: ${ratio(1, 0)} time; ratio 10 GB/100 MB ` +
    `file: ${ratio(5, 4)} time (bounded: no growth with the input)`,
);
process.exitCode = ok ? 0 : 1;
