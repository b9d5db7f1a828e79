// `npm run bench` (own process): policy.json at 100 and 10,000 image.config allowedRegistries entries — the MCO
// render (updatePolicyJSON + Go's MarshalIndent bytes) and the per-pull evaluation `why` does (scope lookup of
// the logical reference). Evaluation must stay flat (hash lookups over the name's namespaces): ratio <= 3x.
import { policyJsonText, renderPolicyJson } from '../src/domain/policy-json.ts';
import { evaluatePolicy } from '../src/domain/policy-eval.ts';
import type { PolicySet } from '../src/domain/policy-set.ts';
import { parsePullReference } from '../src/domain/reference.ts';

function policies(n: number): PolicySet {
  const allowed = Array.from({ length: n }, (_, i) =>
    i % 3 === 0 ? `*.corp${i}.example` : i % 3 === 1 ? `registry${i}.example:5000` : `quay.io/org${i}`,
  );
  return {
    icsps: [],
    idms: [],
    itms: [],
    image: {
      apiVersion: 'config.openshift.io/v1',
      kind: 'Image',
      metadata: { name: 'cluster' },
      spec: { registrySources: { allowedRegistries: allowed } },
    },
  };
}

function perOp(fn: () => void, ops: number, rounds = 5): number {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    for (let i = 0; i < ops; i++) fn();
    best = Math.min(best, (performance.now() - t) / ops);
  }
  return best;
}

const refs = Array.from({ length: 1000 }, (_, i) =>
  parsePullReference(i % 2 === 0 ? `quay.io/org${i}/app:${i}` : `a.b.corp${i}.example/ns/app@sha256:${'a'.repeat(64)}`),
);
const out: Record<number, { render: number; text: number; evalUs: number }> = {};
for (const n of [100, 10_000]) {
  const p = policies(n);
  const render = perOp(() => renderPolicyJson(p, undefined), n === 100 ? 200 : 5);
  const r = renderPolicyJson(p, undefined);
  const text = perOp(() => policyJsonText(r), n === 100 ? 200 : 5);
  let k = 0;
  const evalMs = perOp(() => evaluatePolicy(r.policy, refs[k++ % refs.length]!), 20_000);
  out[n] = { render, text, evalUs: evalMs * 1000 };
  console.log(
    `  ${String(n).padStart(6)} allowedRegistries: render ${render.toFixed(3)} ms, ` +
      `encode ${text.toFixed(3)} ms, evaluate ${(evalMs * 1000).toFixed(2)} µs per pull`,
  );
}
const ratio = out[10_000]!.evalUs / out[100]!.evalUs;
console.log(
  `  evaluate ratio 10,000/100: ${ratio.toFixed(2)}x (limit 3x); render ` +
    `ratio ${(out[10_000]!.render / out[100]!.render).toFixed(0)}x for 100x the entries`,
);
if (ratio > 3) {
  console.log('  FAIL: policy evaluation grows with the list');
  process.exitCode = 1;
}
