// The differential test: seeded random registries.conf files, drop-ins, references and short names (aliases in
// the files, the machine alias cache, the mode), answered by containers/image v5.36.2 itself plus CRI-O 1.34's
// glue around shortnames.Resolve (test/oracle/cimage) and by the engine (src/domain). Any disagreement
// that is not a known difference (known-differences.ts, each with its upstream source line) fails,
// printing the seed and the cases so the run can be repeated exactly.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CaseAnswer } from './answers.ts';
import { engineAnswer } from './answers.ts';
import type { Disagreement } from './compare.ts';
import { compareAnswers } from './compare.ts';
import type { OracleCase } from './generate.ts';
import { generateCase } from './generate.ts';
import { KNOWN_DIFFERENCES, knownDifference } from './known-differences.ts';
import { askOracle } from './oracle-process.ts';
import { oracleBinary } from './oracle-info.ts';

const DEFAULT_SEED = 20261129;
const DEFAULT_CASES = 2000;
/** Short names, aliases and the alias cache, through src/domain/short-names.ts. */
const SHORT_NAMES = true;

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name}=${raw} is not a non-negative integer`);
  return n;
}

const seed = intFromEnv('ICSP_ORACLE_SEED', DEFAULT_SEED);
const count = intFromEnv('ICSP_ORACLE_CASES', DEFAULT_CASES);
const reportFile = resolve(import.meta.dirname, '..', '..', '.cache', 'oracle', 'disagreements.json');

interface Run {
  cases: OracleCase[];
  go: Map<number, CaseAnswer>;
  engine: Map<number, CaseAnswer>;
  unexplained: Disagreement[];
  known: Map<string, number>;
  goMs: number;
  engineMs: number;
}

let run: Run;

beforeAll(async () => {
  const cases = Array.from({ length: count }, (_, i) => generateCase(seed, i, { shortNames: SHORT_NAMES }));
  let t = performance.now();
  const go = await askOracle(oracleBinary(), cases);
  const goMs = performance.now() - t;
  t = performance.now();
  const engine = new Map(cases.map((c) => [c.id, engineAnswer(c)]));
  const engineMs = performance.now() - t;
  const unexplained: Disagreement[] = [];
  const known = new Map<string, number>();
  for (const c of cases) {
    for (const d of compareAnswers(c, go.get(c.id)!, engine.get(c.id)!)) {
      const k = knownDifference(d);
      if (k === undefined) unexplained.push(d);
      else known.set(k.id, (known.get(k.id) ?? 0) + 1);
    }
  }
  run = { cases, go, engine, unexplained, known, goMs, engineMs };
});

function describeFailure(r: Run): string {
  const lines = [
    `${r.unexplained.length} disagreement(s) between containers/image and the engine (seed ${seed}, ${count} cases).`,
    `Repeat with: ICSP_ORACLE_SEED=${seed} ICSP_ORACLE_CASES=${count} ` +
      `npm run test:oracle   (all of them: ${reportFile})`,
  ];
  for (const d of r.unexplained.slice(0, 5)) {
    const c = r.cases[d.caseId]!;
    lines.push(
      '',
      `case ${d.caseId}, ${d.field}${d.input !== undefined ? ` (input ${JSON.stringify(d.input)})` : ''}`,
      `  containers/image: ${JSON.stringify(d.go)}`,
      `  engine:           ${JSON.stringify(d.engine)}`,
      `  registries.conf:\n${indent(c.registriesConf)}`,
      ...c.dropIns.map((f) => `  registries.conf.d/${f.name}:\n${indent(f.toml)}`),
    );
  }
  return lines.join('\n');
}

const indent = (s: string): string =>
  s
    .split('\n')
    .map((l) => `    | ${l}`)
    .join('\n');

describe(`differential: containers/image v5.36.2 vs the engine (seed ${seed})`, () => {
  it(`agrees on ${count} random configurations and their references`, () => {
    const known = [...run.known].map(([id, n]) => `${id} x${n}`).join(', ');
    console.log(
      `oracle ${run.goMs.toFixed(0)} ms, engine ${run.engineMs.toFixed(0)} ms for ${count} cases; ` +
        `${run.unexplained.length} unexplained disagreement(s); known differences: ${known || 'none'}`,
    );
    mkdirSync(join(reportFile, '..'), { recursive: true });
    writeFileSync(
      reportFile,
      JSON.stringify(
        { seed, count, disagreements: run.unexplained.map((d) => ({ ...d, case: run.cases[d.caseId] })) },
        null,
        2,
      ),
    );
    if (run.unexplained.length > 0) expect.fail(describeFailure(run));
  });

  it('covers what it claims to cover (so an agreement means something)', () => {
    let configErrors = 0;
    let dropInCases = 0;
    let v1Cases = 0;
    let referenceErrors = 0;
    let resolved = 0;
    let rewriteErrors = 0;
    let viaMirror = 0;
    let blocked = 0;
    let wildcard = 0;
    let insecure = 0;
    let digestOnly = 0;
    let tagOnly = 0;
    let withPort = 0;
    let nested = 0;
    for (const c of run.cases) {
      const g = run.go.get(c.id)!;
      if (g.configError !== undefined) configErrors++;
      if (c.dropIns.length > 0) dropInCases++;
      if (c.registriesConf.includes('[registries.')) v1Cases++;
      for (const r of g.references) {
        if (r.referenceError !== undefined) referenceErrors++;
        if (r.resolve === undefined) continue;
        if (r.resolve.error !== undefined) rewriteErrors++;
        else resolved++;
        const p = r.resolve.matchedPrefix;
        if (p?.startsWith('*.') === true) wildcard++;
        if (p !== null && p !== undefined && /^[^/]+:\d+/.test(p)) withPort++;
        if (p !== null && p !== undefined && p.split('/').length > 2) nested++;
        if (r.resolve.pullSources.some((s) => s.mirror)) viaMirror++;
        if (r.resolve.pullSources.some((s) => s.blocked)) blocked++;
        if (r.resolve.pullSources.some((s) => s.insecure)) insecure++;
        if (r.resolve.pullSources.some((s) => s.pullFromMirror === 'digest-only')) digestOnly++;
        if (r.resolve.pullSources.some((s) => s.pullFromMirror === 'tag-only')) tagOnly++;
      }
    }
    // Floors well under what the default run produces (they scale with the case count).
    const floor = (share: number): number => Math.floor(count * share);
    const coverage = {
      configErrors,
      dropInCases,
      v1Cases,
      referenceErrors,
      resolved,
      rewriteErrors,
      viaMirror,
      blocked,
      wildcard,
      insecure,
      digestOnly,
      tagOnly,
      withPort,
      nested,
    };
    console.log(`coverage: ${JSON.stringify(coverage)}`);
    if (SHORT_NAMES) {
      const sn = {
        candidates: 0,
        several: 0,
        alias: 0,
        aliasFromCache: 0,
        aliasFromDropIn: 0,
        ambiguous: 0,
        noSearch: 0,
        cacheError: 0,
        aliasConfigError: 0,
        viaMirror: 0,
      };
      for (const c of run.cases) {
        const g = run.go.get(c.id)!;
        if (g.configError?.includes('validating short-name aliases') === true) sn.aliasConfigError++;
        for (const s of g.shortNames) {
          if (s.candidates.length > 0) sn.candidates++;
          if (s.candidates.length > 1) sn.several++;
          if (s.description?.includes('as an alias') === true) sn.alias++;
          if (s.description?.includes('as an alias (short-name-aliases.conf)') === true) sn.aliasFromCache++;
          if (s.description?.includes('as an alias (registries.conf.d/') === true) sn.aliasFromDropIn++;
          if (s.error?.includes('returns ambiguous list') === true) sn.ambiguous++;
          if (s.error?.includes('no unqualified-search registries') === true) sn.noSearch++;
          if (s.error?.startsWith('loading short-name aliases config file') === true) sn.cacheError++;
          if (s.candidates.some((k) => k.resolve.pullSources.some((p) => p.mirror))) sn.viaMirror++;
        }
      }
      console.log(`short-name coverage: ${JSON.stringify(sn)}`);
      expect(sn.candidates).toBeGreaterThanOrEqual(floor(0.5));
      for (const [k, v] of Object.entries(sn)) expect(v, `short names: ${k}`).toBeGreaterThanOrEqual(floor(0.005));
    }
    expect(resolved).toBeGreaterThanOrEqual(floor(0.8));
    for (const [k, v] of Object.entries({
      configErrors,
      referenceErrors,
      viaMirror,
      blocked,
      wildcard,
      insecure,
      digestOnly,
      tagOnly,
      withPort,
      nested,
      dropInCases,
    })) {
      expect(v, k).toBeGreaterThanOrEqual(floor(0.02));
    }
    for (const [k, v] of Object.entries({ v1Cases, rewriteErrors })) expect(v, k).toBeGreaterThanOrEqual(floor(0.002));
  });

  it('detects a disagreement when there is one', () => {
    const c = run.cases.find((x) => run.go.get(x.id)?.references.some((r) => (r.resolve?.pullSources.length ?? 0) > 1));
    expect(c, 'a case with mirrors').toBeDefined();
    const e = structuredClone(run.engine.get(c!.id)!);
    const ref = e.references.find((r) => (r.resolve?.pullSources.length ?? 0) > 1)!;
    ref.resolve!.pullSources.reverse();
    expect(compareAnswers(c!, run.go.get(c!.id)!, e).length).toBeGreaterThan(0);
  });

  it('keeps every known difference tied to an upstream source line', () => {
    for (const k of KNOWN_DIFFERENCES) expect(k.upstream).toMatch(/^containers\/image v5\.36\.2 \S+\.go:\d+ /);
    expect(KNOWN_DIFFERENCES.length).toBeLessThanOrEqual(8);
  });
});
