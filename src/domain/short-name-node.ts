// What a node does with a short name, from what the live check read there: its CRI-O version (node status), its
// /etc/crio/crio.conf + crio.conf.d (the short-name mode), its registries.conf (aliases, search list, mirrors) and
// its machine alias cache. The podman check itself does not show it: podman takes the mode from registries.conf
// (permissive by default), CRI-O >= 1.34 from crio.conf (enforcing by default).
import { crioShortNameMode } from './crio-config.ts';
import type { CheckOutput } from './debug-pod.ts';
import { EngineError } from './engine-error.ts';
import { explainPull } from './explain-pull.ts';
import type { ShortNameSummary } from './explain-pull.ts';
import { parseRegistriesConf } from './registries-conf.ts';
import { ALIAS_CACHE_PATH, parseAliasCache } from './short-name-aliases.ts';
import type { AliasTable } from './short-name-aliases.ts';
import { modeForNode } from './short-name-mode.ts';
import { isShortName } from './short-names.ts';

const NODE_REGISTRIES_CONF = '/etc/containers/registries.conf';

export interface NodeShortName extends ShortNameSummary {
  /** Where the mode comes from on this node. */
  modeSource: string;
  /** CRI-O's error for this pull, when resolution fails it (enforcing + ambiguous, no search list). */
  error: string | null;
  /** One line for the node's verdict reasons. */
  note: string;
}

/** Null for a fully qualified image; otherwise the node's short-name resolution of it. */
export function shortNameOnNode(
  node: string,
  image: string,
  crioVersion: string | undefined,
  output: CheckOutput,
): NodeShortName | null {
  if (!isShortName(image)) return null;
  const crio = crioShortNameMode(output.crioFiles ?? []);
  const decision = modeForNode(node, crioVersion, crio);
  if (decision === undefined) {
    const why =
      crio.problems.length > 0 ? `CRI-O would refuse its configuration (${crio.problems.join('; ')})` : 'unknown';
    return {
      mode: 'enforcing',
      candidates: [],
      alias: null,
      modeSource: why,
      error: null,
      note: `short name ${image} on ${node}: short-name mode unknown: ${why}`,
    };
  }
  let aliasCache: AliasTable | undefined;
  const notes: string[] = [];
  if (output.aliasCache != null) {
    try {
      aliasCache = parseAliasCache(output.aliasCache, ALIAS_CACHE_PATH);
    } catch (e) {
      if (!(e instanceof EngineError)) throw e;
      notes.push(`every short-name pull fails on this node: ${e.message}`);
    }
  }
  const main = output.confFiles.find((f) => f.name === NODE_REGISTRIES_CONF);
  let e;
  try {
    const conf = parseRegistriesConf(
      main?.toml ?? '',
      output.confFiles.filter((f) => f !== main),
      NODE_REGISTRIES_CONF,
    );
    e = explainPull({
      reference: image,
      conf,
      shortNameMode: decision,
      ...(aliasCache !== undefined ? { aliasCache } : {}),
    });
  } catch (err) {
    if (!(err instanceof EngineError)) throw err;
    return {
      mode: decision.mode,
      candidates: [],
      alias: null,
      modeSource: decision.source,
      error: err.message,
      note: `short name ${image} on ${node}: ${err.message}`,
    };
  }
  const sn = e.shortName ?? { mode: decision.mode, candidates: [], alias: null };
  const error = e.error?.message ?? null;
  const what =
    error !== null
      ? `CRI-O fails this pull: ${error}`
      : sn.alias !== null
        ? `alias ${sn.alias.name} = ${sn.alias.value} (${sn.alias.origin}) is the only candidate`
        : `CRI-O tries ${sn.candidates.join(', then ')}`;
  const note =
    `short name ${image} on ${node}: mode ${sn.mode} ` +
    `(${decision.source}): ${what}${notes.length > 0 ? `; ${notes.join('; ')}` : ''}`;
  return { ...sn, modeSource: decision.source, error, note };
}
