// `npm run bench` (own process): what-if against 10,000 mirror sources and 10,000 running images (limit 2 s),
// with the ratio to 1,000 images; and what `--fix` adds to an answer (limit 10 ms) at 10,000 sources.
import { performance } from 'node:perf_hooks';
import { generatePolicies } from './engine-bench.ts';
import { explain } from '../src/domain/explain.ts';
import { proposeFix } from '../src/domain/fix.ts';
import { addUse } from '../src/domain/running-images.ts';
import type { ImageUsage } from '../src/domain/running-images.ts';
import { whatIf } from '../src/domain/what-if.ts';
import type { ImageDigestMirrorSet } from '../src/types/openshift.ts';

const SOURCES = 10_000;
const DIGEST = `sha256:${'d'.repeat(64)}`;

function images(n: number): ImageUsage {
  const u: ImageUsage = new Map();
  for (let k = 0; k < n; k++) {
    const i = (k * 7919) % SOURCES;
    const ref =
      k % 2 === 0
        ? `registry-${i % 17}.example.com/ns-${i % 97}/repo-${i}/app-${k}@${DIGEST}`
        : `registry-${i % 17}.example.com/ns-${i % 97}/repo-${i}/app-${k}:v${k % 9}`;
    addUse(u, ref, `ns-${k % 150}`, 1 + (k % 3));
  }
  return u;
}

/** An oc-mirror re-run: the same IDMS with a new mirror registry for every tenth source. */
function proposed(current: ImageDigestMirrorSet): ImageDigestMirrorSet {
  const rules = (current.spec.imageDigestMirrors ?? []).map((r, i) =>
    i % 10 === 0 ? { ...r, mirrors: [`new-mirror.corp.example/${r.source}`, ...(r.mirrors ?? [])] } : r,
  );
  return { ...current, spec: { imageDigestMirrors: rules } };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => void, rounds: number): { median: number; min: number } {
  const xs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    fn();
    xs.push(performance.now() - t0);
  }
  return { median: median(xs), min: Math.min(...xs) };
}

const current = generatePolicies(SOURCES);
const change = [proposed(current.idms[0]!)];
const small = images(1_000);
const large = images(10_000);
let rerouted = 0;
whatIf({ current, proposed: change, images: small }); // warm-up
const t1k = time(() => whatIf({ current, proposed: change, images: small }), 5);
const t10k = time(() => (rerouted = whatIf({ current, proposed: change, images: large }).rerouted.length), 5);
// The machine is shared (2 cores, many processes): the limits apply to the best of the rounds, the median is printed
// too.
const ok1 = t10k.min < 2000;
console.log(`  what-if, 10,000 sources, 1,000 images:  ${t1k.min.toFixed(0)} ms (median ${t1k.median.toFixed(0)})`);
console.log(
  `  what-if, 10,000 sources, 10,000 images: ${t10k.min.toFixed(0)} ms (median ${t10k.median.toFixed(0)}; ` +
    `${rerouted} rerouted; limit 2000 ms) ratio 10,000/1,000 images: ${(t10k.min / t1k.min).toFixed(2)}x`,
);

// --fix: the proof on top of an answer already computed (the explanation is what `why` prints anyway).
const image = 'registry-5.example.com/ns-5/repo-5/app:v1';
const e = explain({ reference: image, policies: current });
let verdictAfter = '';
proposeFix({ reference: image, policies: current, explanation: e });
const fix = time(
  () =>
    (verdictAfter = proposeFix({ reference: image, policies: current, explanation: e }).fix?.verdictAfter ?? 'none'),
  21,
);
const small100 = generatePolicies(100);
const e100 = explain({ reference: image, policies: small100 });
const fix100 = time(() => proposeFix({ reference: image, policies: small100, explanation: e100 }), 21);
const ok2 = fix.min < 10;
console.log(`  --fix adds, 100 sources:    ${fix100.min.toFixed(2)} ms (median ${fix100.median.toFixed(2)})`);
console.log(
  `  --fix adds, 10,000 sources: ${fix.min.toFixed(2)} ms (median ${fix.median.toFixed(2)}; ${e.verdict.code} ` +
    `-> ${verdictAfter}; limit 10 ms) ratio ${(fix.min / fix100.min).toFixed(2)}x for 100x the sources`,
);
if (!ok1 || !ok2) {
  console.log('  FAIL: over a limit');
  process.exitCode = 1;
}
