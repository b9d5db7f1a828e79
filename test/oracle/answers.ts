// The answer shape both sides produce for one case (the Go oracle's JSON line), and the TypeScript
// engine's answer computed from src/domain.
import { EngineError } from '../../src/domain/engine-error.ts';
import type { RegistriesConf } from '../../src/domain/registries-conf.ts';
import { parseRegistriesConf } from '../../src/domain/registries-conf.ts';
import { RegistryIndex, resolveParsed } from '../../src/domain/resolve.ts';
import { parsePullReference, refName, refString } from '../../src/domain/reference.ts';
import type { ImageReference } from '../../src/domain/reference.ts';
import type { OracleCase } from './generate.ts';
import { engineShortNames } from './short-name-answers.ts';

export interface PullSourceAnswer {
  reference: string;
  location: string;
  mirror: boolean;
  insecure: boolean;
  pullFromMirror?: string;
  blocked: boolean;
  blockedBy?: string;
}

export interface ResolutionAnswer {
  /** Rewrite (or lookup) error; the other fields are then empty. */
  error?: string;
  normalizedReference?: string;
  matchedPrefix: string | null;
  pullSources: PullSourceAnswer[];
}

export interface ReferenceAnswer {
  input: string;
  referenceError?: string;
  /** Absent when the reference or the configuration failed. */
  resolve?: ResolutionAnswer;
}

export interface ShortNameAnswer {
  input: string;
  error?: string;
  /** The line CRI-O logs before pulling (Resolved.Description()); absent when empty. */
  description?: string;
  candidates: Array<{ value: string; resolve: ResolutionAnswer }>;
}

export interface CaseAnswer {
  id: number;
  configError?: string;
  search: string[] | null;
  references: ReferenceAnswer[];
  shortNames: ShortNameAnswer[];
}

/** File names as the oracle reports them (relative to its per-case directory). */
export const MAIN_NAME = 'registries.conf';
export const dropInName = (name: string): string => `registries.conf.d/${name}`;

export function message(e: unknown): string {
  if (e instanceof EngineError) return e.message;
  // Anything else is a crash of the engine: report it as such, never as an agreement.
  return `ENGINE CRASH: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
}

/**
 * The pull plan of a parsed reference; a rewrite error comes with the reference and the prefix it matched, as the
 * oracle reports it.
 */
export function resolution(index: RegistryIndex, parsed: ImageReference): ResolutionAnswer {
  try {
    const res = resolveParsed(index, parsed);
    return {
      normalizedReference: res.normalizedReference,
      matchedPrefix: res.matchedPrefix,
      pullSources: res.pullSources,
    };
  } catch (e) {
    return {
      error: message(e),
      normalizedReference: refString(parsed),
      matchedPrefix: index.find(refName(parsed))?.prefix ?? null,
      pullSources: [],
    };
  }
}

export function engineAnswer(c: OracleCase): CaseAnswer {
  const out: CaseAnswer = { id: c.id, search: null, references: [], shortNames: [] };
  let conf: RegistriesConf | undefined;
  try {
    conf = parseRegistriesConf(
      c.registriesConf,
      c.dropIns.map((d) => ({ name: dropInName(d.name), toml: d.toml })),
      MAIN_NAME,
    );
    out.search = conf.unqualifiedSearchRegistries;
  } catch (e) {
    out.configError = message(e);
  }
  const index = conf === undefined ? undefined : new RegistryIndex(conf);
  for (const input of c.references) {
    const ra: ReferenceAnswer = { input };
    let parsed: ReturnType<typeof parsePullReference> | undefined;
    try {
      parsed = parsePullReference(input);
    } catch (e) {
      ra.referenceError = message(e);
    }
    if (parsed !== undefined && index !== undefined) ra.resolve = resolution(index, parsed);
    out.references.push(ra);
  }
  if (conf !== undefined && index !== undefined && c.shortNames.length > 0)
    out.shortNames = engineShortNames(c, conf, index);
  return out;
}
