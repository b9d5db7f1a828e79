// `icsp resolve` for any name CRI-O accepts: a short name becomes its candidates (short-names.ts) and the pull
// sources are each candidate's, concatenated in order; a fully qualified name resolves as before; name:tag@digest
// is pulled by digest (CRI-O strips the tag). The JSON contract: README "JSON output".
import type { ShortNameSummary } from './explain-pull.ts';
import type { PullSource, ResolveResult } from './pull-source.ts';
import { RegistryIndex, resolve } from './resolve.ts';
import type { RegistriesConf } from './registries-conf.ts';
import { resolveShortName } from './short-names.ts';
import type { ShortNameConfig, ShortNameMode } from './short-names.ts';
import type { EngineError } from './engine-error.ts';

export interface PullResolveResult extends ResolveResult {
  pullSources: Array<PullSource & { candidate?: string }>;
  shortName: ShortNameSummary | null;
}

/**
 * The candidates' pull sources, or the resolution error (with the candidates it concerns) when the pull fails there.
 */
export function resolvePull(
  conf: RegistriesConf,
  reference: string,
  cfg: ShortNameConfig,
  mode: ShortNameMode,
): PullResolveResult | { error: EngineError; shortName: ShortNameSummary } {
  const r = resolveShortName(reference, cfg, mode);
  const index = new RegistryIndex(conf);
  if (!r.short) return { ...resolve(index, r.candidates[0]!), shortName: null };
  const shortName: ShortNameSummary = { mode: r.mode, candidates: r.candidates, alias: r.alias };
  if (r.error !== null) return { error: r.error, shortName };
  const plans = r.candidates.map((c) => ({ c, plan: resolve(index, c) }));
  const first = plans[0]!.plan;
  return {
    normalizedReference: first.normalizedReference,
    matchedPrefix: first.matchedPrefix,
    pullSources: plans.flatMap(({ c, plan }) => plan.pullSources.map((s) => ({ ...s, candidate: c }))),
    shortName,
  };
}
