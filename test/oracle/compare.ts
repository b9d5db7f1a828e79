// Field-by-field comparison of the Go oracle's answer and the engine's, after one documented
// normalization: configuration errors are compared without the file they name (the oracle wraps each
// with `loading [drop-in ]registries configuration "FILE": `; the engine puts the file name elsewhere
// or not at all). Whether a load fails, and why, is still compared exactly.
import { isDeepStrictEqual } from 'node:util';
import type { CaseAnswer, ResolutionAnswer } from './answers.ts';
import type { OracleCase } from './generate.ts';

export interface Disagreement {
  caseId: number;
  /** Which part disagrees, e.g. "configError", "references[2].resolve". */
  field: string;
  /** The input of that part (reference or short name), when there is one. */
  input?: string;
  go: unknown;
  engine: unknown;
}

const goWrapper = /^loading (?:drop-in )?registries configuration "[^"]*": /;

export function normalizeGoConfigError(msg: string): string {
  return msg.replace(goWrapper, '');
}

export function normalizeEngineConfigError(msg: string, c: OracleCase): string {
  let m = msg.replace(goWrapper, '');
  for (const name of ['registries.conf', ...c.dropIns.map((d) => `registries.conf.d/${d.name}`)]) {
    if (m.startsWith(`${name}: `)) m = m.slice(name.length + 2);
    if (m.endsWith(`: ${name}`)) m = m.slice(0, -(name.length + 2));
  }
  return m;
}

function resolution(r: ResolutionAnswer | undefined): unknown {
  if (r === undefined) return undefined;
  // Same key set on both sides; pullFromMirror/blockedBy are omitted when empty.
  return {
    error: r.error,
    normalizedReference: r.normalizedReference,
    matchedPrefix: r.matchedPrefix,
    pullSources: r.pullSources.map((p) => ({
      ...p,
      pullFromMirror: p.pullFromMirror || undefined,
      blockedBy: p.blockedBy || undefined,
    })),
  };
}

export function compareAnswers(c: OracleCase, go: CaseAnswer, engine: CaseAnswer): Disagreement[] {
  const out: Disagreement[] = [];
  const add = (field: string, g: unknown, e: unknown, input?: string): void => {
    if (!isDeepStrictEqual(g, e))
      out.push({ caseId: c.id, field, ...(input !== undefined ? { input } : {}), go: g, engine: e });
  };
  const gConf = go.configError === undefined ? undefined : normalizeGoConfigError(go.configError);
  const eConf = engine.configError === undefined ? undefined : normalizeEngineConfigError(engine.configError, c);
  add('configError', gConf, eConf);
  if (gConf === undefined && eConf === undefined) add('search', go.search, engine.search);
  c.references.forEach((input, i) => {
    const g = go.references[i];
    const e = engine.references[i];
    add(`references[${i}].referenceError`, g?.referenceError, e?.referenceError, input);
    // Resolution is only comparable where both loaded the configuration (a config disagreement is reported once above).
    if (gConf === undefined && eConf === undefined)
      add(`references[${i}].resolve`, resolution(g?.resolve), resolution(e?.resolve), input);
  });
  // Short names only where both loaded the configuration: the engine resolves them from the loaded configuration.
  if (gConf === undefined && eConf === undefined) {
    c.shortNames.forEach((input, i) => {
      const g = go.shortNames[i];
      const e = engine.shortNames[i];
      add(`shortNames[${i}].error`, g?.error, e?.error, input);
      const cands = (x: typeof g): unknown =>
        x?.candidates.map((k) => ({ value: k.value, resolve: resolution(k.resolve) }));
      if (g?.error === undefined && e?.error === undefined) {
        add(`shortNames[${i}].candidates`, cands(g), cands(e), input);
        add(`shortNames[${i}].description`, g?.description, e?.description, input);
      }
    });
  }
  return out;
}
