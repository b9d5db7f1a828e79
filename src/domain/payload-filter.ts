// getValidBlockedAndAllowedRegistries: the MCO will not block the registry the release payload comes from
// unless a digest mirror of the payload repository sits outside every blocked scope. A dropped scope is only
// logged by the controller, so the bot reports it.
import { EngineError } from './engine-error.ts';
import { editRegistriesConfig } from './edit-registries.ts';
import type { MirrorSetInput } from './mirror-sets.ts';
import { confFromEntries } from './registries-conf.ts';
import { RegistryIndex, resolveParsed } from './resolve.ts';
import { parseNamed, refName } from './reference.ts';
import { scopeIsNestedInsideScope } from './scope.ts';

export interface PayloadFilterResult {
  registriesBlocked: string[] | null;
  policyBlocked: string[] | null;
  allowedForPolicy: string[] | null;
  /** What the controller logs (and otherwise ignores) when it drops a blocked scope. */
  loggedError: string | null;
  /**
   * Set when the payload check itself failed for a reason other than a bad release image (a wildcard IDMS source
   * over a blocked host, a mirror that rewrites the payload to a non-canonical name, ...): the MCO logs it, returns no
   * blocked and no allowed registries at all, and still renders.
   */
  toleratedError?: string;
}

const orNull = (a: string[]): string[] | null => (a.length === 0 ? null : a);

export function applyPayloadFilter(
  releaseImage: string,
  insecure: readonly string[],
  blocked: readonly string[],
  allowedRegistries: readonly string[],
  digestSets: readonly MirrorSetInput[],
): PayloadFilterResult {
  let payload;
  try {
    payload = parseNamed(releaseImage);
  } catch {
    throw new EngineError('render', `error parsing release image reference ${JSON.stringify(releaseImage)}`);
  }
  const payloadRepo = refName(payload);
  const registriesBlocked: string[] = [];
  const policyBlocked: string[] = [];
  const allowed: string[] = [];
  const dropped: string[] = [];
  let hasUnblockedMirror: boolean | undefined;
  for (const reg of blocked) {
    if (!scopeIsNestedInsideScope(payloadRepo, reg)) {
      registriesBlocked.push(reg);
      policyBlocked.push(reg);
      continue;
    }
    try {
      hasUnblockedMirror ??= payloadHasUnblockedSource(payload, insecure, blocked, digestSets);
    } catch (e) {
      // getValidBlockedAndAllowedRegistries returns (nil, nil, nil, err); syncImageConfig logs "%v, skipping...."
      // unless err is errParsingReference, and renders with no blocked registries (and no allowed ones).
      if (!(e instanceof EngineError)) throw e;
      return {
        registriesBlocked: null,
        policyBlocked: null,
        allowedForPolicy: null,
        loggedError: e.message,
        toleratedError: e.message,
      };
    }
    if (!hasUnblockedMirror) {
      dropped.push(reg);
      continue;
    }
    registriesBlocked.push(reg);
    if (reg !== payloadRepo) policyBlocked.push(reg);
    allowed.push(payloadRepo);
  }
  allowed.push(...allowedRegistries);
  return {
    registriesBlocked: orNull(registriesBlocked),
    policyBlocked: orNull(policyBlocked),
    allowedForPolicy: orNull(allowed),
    loggedError:
      dropped.length === 0
        ? null
        : `error adding [${dropped.map((d) => JSON.stringify(d)).join(' ')}] to blocked ` +
          `registries, cannot block the repository being used by the payload`,
  };
}

/** Renders a temporary configuration (no ITMS: the payload is pulled by digest) and looks for a usable source. */
function payloadHasUnblockedSource(
  payload: ReturnType<typeof parseNamed>,
  insecure: readonly string[],
  blocked: readonly string[],
  digestSets: readonly MirrorSetInput[],
): boolean {
  const conf = confFromEntries(editRegistriesConfig(insecure, blocked, digestSets, []));
  const index = new RegistryIndex(conf);
  if (index.find(refName(payload)) === undefined) return false;
  const sources = resolveParsed(index, payload).pullSources;
  return sources.some((s) => !blocked.some((b) => scopeIsNestedInsideScope(refName(parseNamed(s.reference)), b)));
}
