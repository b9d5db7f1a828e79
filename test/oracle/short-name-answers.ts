// The engine's answer for the short names of a case: src/domain/short-names.ts (CRI-O's
// CandidatesForPotentiallyShortImageName on top of shortnames.Resolve), each candidate resolved like any pull.
import { parsePullReference } from '../../src/domain/reference.ts';
import type { RegistriesConf } from '../../src/domain/registries-conf.ts';
import type { RegistryIndex } from '../../src/domain/resolve.ts';
import { parseAliasCache } from '../../src/domain/short-name-aliases.ts';
import type { ShortNameMode } from '../../src/domain/short-names.ts';
import { resolveShortName, shortNameConfigOf } from '../../src/domain/short-names.ts';
import type { ShortNameAnswer } from './answers.ts';
import { message, resolution } from './answers.ts';
import type { OracleCase } from './generate.ts';

/** Where the oracle puts the machine alias cache (relative to its case directory). */
export const ALIAS_CACHE_NAME = 'short-name-aliases.conf';

/** Only called when the configuration loaded (the oracle's answer is compared in that case only). */
export function engineShortNames(c: OracleCase, conf: RegistriesConf, index: RegistryIndex): ShortNameAnswer[] {
  const mode = (c.shortNameMode === '' ? 'enforcing' : c.shortNameMode) as ShortNameMode;
  let cacheError: string | undefined;
  let aliasCache: ReturnType<typeof parseAliasCache> | undefined;
  if (c.aliasCache !== null) {
    try {
      aliasCache = parseAliasCache(c.aliasCache, ALIAS_CACHE_NAME);
    } catch (e) {
      cacheError = message(e);
    }
  }
  const cfg = shortNameConfigOf(conf, aliasCache);
  return c.shortNames.map((input): ShortNameAnswer => {
    try {
      const r = resolveShortName(input, cfg, mode, 'cri-o');
      // The cache is read for short names only, before anything else about them.
      if (cacheError !== undefined && r.short) return { input, error: cacheError, candidates: [] };
      if (r.error !== null) return { input, error: r.error.message, candidates: [] };
      const candidates = r.candidates.map((value) => ({
        value,
        resolve: resolution(index, parsePullReference(value)),
      }));
      return { input, ...(r.description !== '' ? { description: r.description } : {}), candidates };
    } catch (e) {
      return { input, error: message(e), candidates: [] };
    }
  });
}
