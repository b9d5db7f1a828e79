// Engine speed on oc-mirror-sized configurations: resolve cost per lookup at 100 and 10,000 sources (it must
// not grow with the number of sources: the ratio stays within 2x) and the MCO render of 10,000 sources (< 1 s).
import { performance } from 'node:perf_hooks';
import { renderPolicies } from '../src/domain/render.ts';
import { encodeRegistriesConf } from '../src/domain/registries-toml.ts';
import { confFromEntries } from '../src/domain/registries-conf.ts';
import { RegistryIndex, resolve } from '../src/domain/resolve.ts';
import type { PolicySet } from '../src/domain/policy-set.ts';

const DIGEST = `sha256:${'d'.repeat(64)}`;

/** An oc-mirror style IDMS: one source per repository, a few namespaces per registry, one mirror registry. */
export function generatePolicies(sources: number): PolicySet {
  const rules = [];
  for (let i = 0; i < sources; i++) {
    const reg = `registry-${i % 17}.example.com`;
    const repo = `ns-${i % 97}/repo-${i}`;
    rules.push({
      source: `${reg}/${repo}`,
      mirrors: [`mirror.corp.example:8443/${reg}/${repo}`, `backup.corp.example/${repo}`],
    });
  }
  return {
    icsps: [],
    itms: [
      {
        apiVersion: 'config.openshift.io/v1',
        kind: 'ImageTagMirrorSet',
        metadata: { name: 'tags' },
        spec: {
          imageTagMirrors: [
            { source: 'registry-1.example.com', mirrors: ['mirror.corp.example:8443/registry-1.example.com'] },
          ],
        },
      },
    ],
    idms: [
      {
        apiVersion: 'config.openshift.io/v1',
        kind: 'ImageDigestMirrorSet',
        metadata: { name: 'oc-mirror' },
        spec: { imageDigestMirrors: rules },
      },
    ],
    image: {
      apiVersion: 'config.openshift.io/v1',
      kind: 'Image',
      metadata: { name: 'cluster' },
      spec: {
        registrySources: {
          insecureRegistries: ['backup.corp.example'],
          blockedRegistries: ['registry-3.example.com/ns-3'],
        },
      },
    },
  };
}

function references(sources: number, n: number): string[] {
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    const i = (k * 7919) % sources;
    out.push(
      k % 2 === 0
        ? `registry-${i % 17}.example.com/ns-${i % 97}/repo-${i}/app@${DIGEST}`
        : `registry-${i % 17}.example.com/ns-${i % 97}/repo-${i}:v${k % 9}`,
    );
  }
  return out;
}

function timeIt(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/** Median of several rounds, each resolving `lookups` references; returns microseconds per resolve. */
function resolveCost(sources: number, lookups: number, rounds = 5): number {
  const conf = confFromEntries(renderPolicies(generatePolicies(sources)).registries);
  const index = new RegistryIndex(conf);
  const refs = references(sources, lookups);
  for (const r of refs.slice(0, 2000)) resolve(index, r); // warm-up
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++)
    samples.push(
      (timeIt(() => {
        for (const r of refs) resolve(index, r);
      }) *
        1000) /
        lookups,
    );
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

export function runEngineBench(): { ok: boolean; lines: string[] } {
  const lines: string[] = [];
  const small = resolveCost(100, 20_000);
  const large = resolveCost(10_000, 20_000);
  const ratio = large / small;
  lines.push(`resolve, 100 sources:     ${small.toFixed(2)} µs per lookup`);
  lines.push(`resolve, 10,000 sources:  ${large.toFixed(2)} µs per lookup`);
  lines.push(`resolve ratio 10,000/100: ${ratio.toFixed(2)}x (limit 2x)`);
  const p100 = generatePolicies(100);
  const p10k = generatePolicies(10_000);
  renderPolicies(p100);
  const r100 = Math.min(
    ...[0, 1, 2].map(() => timeIt(() => encodeRegistriesConf([], renderPolicies(p100).registries))),
  );
  const r10k = Math.min(
    ...[0, 1, 2].map(() => timeIt(() => encodeRegistriesConf([], renderPolicies(p10k).registries))),
  );
  lines.push(`render+encode, 100 sources:    ${r100.toFixed(1)} ms`);
  lines.push(
    `render+encode, 10,000 sources: ${r10k.toFixed(1)} ms (limit 1000 ms; ` +
      `ratio ${(r10k / r100).toFixed(1)}x for 100x the sources)`,
  );
  return { ok: ratio <= 2 && r10k < 1000, lines };
}
