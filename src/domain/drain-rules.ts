// Whether a registries.conf change drains nodes (MCO pkg/daemon/drain.go isSafeContainerRegistryConfChanges,
// 4.13+): only purely additive digest-only changes are safe. A registries.conf-only change reloads CRI-O and does
// not reboot, per the MCO code (openshift-docs says otherwise for some cases: messages say "expected").
import type { RegistriesConf, Registry } from './registries-conf.ts';

export interface DisruptionForecast {
  drain: boolean;
  reasons: string[];
}

const key = (r: Registry): string => (r.prefix !== '' ? r.prefix : r.location);

export function forecastDisruption(before: RegistriesConf, after: RegistriesConf): DisruptionForecast {
  const reasons: string[] = [];
  const b = before.unqualifiedSearchRegistries ?? [];
  const a = after.unqualifiedSearchRegistries ?? [];
  if (a.length < b.length || b.some((x, i) => a[i] !== x))
    reasons.push('unqualified-search-registries changed other than by appending');
  const afterBy = new Map(after.registries.map((r) => [key(r), r]));
  const beforeBy = new Map(before.registries.map((r) => [key(r), r]));
  for (const old of before.registries) {
    const cur = afterBy.get(key(old));
    if (cur === undefined) {
      reasons.push(`[[registry]] ${key(old)} removed`);
      continue;
    }
    if (cur.prefix !== old.prefix || cur.location !== old.location)
      reasons.push(`${key(old)}: prefix or location changed`);
    if (cur.blocked !== old.blocked) reasons.push(`${key(old)}: blocked changed`);
    if (cur.insecure !== old.insecure) reasons.push(`${key(old)}: insecure changed`);
    for (const m of old.mirrors) {
      if (!cur.mirrors.some((x) => x.location === m.location))
        reasons.push(`${key(old)}: mirror ${m.location} removed`);
    }
    // Upstream walks the NEW mirrors and compares each with the first old mirror of the same location
    // (searchRegistryMirror), so a tag-only mirror added beside a digest-only one of the same location (an ITMS
    // next to an IDMS/ICSP with the same mirror) counts as a pull-from-mirror change away from digest-only: drain.
    for (const m of cur.mirrors) {
      const was = old.mirrors.find((x) => x.location === m.location);
      if (was !== undefined) {
        if (m.pullFromMirror !== was.pullFromMirror && m.pullFromMirror !== 'digest-only')
          reasons.push(
            `${key(old)}: mirror ${m.location} pull-from-mirror ` +
              `${was.pullFromMirror || 'all'} -> ${m.pullFromMirror || 'all'}`,
          );
      } else if (m.pullFromMirror !== 'digest-only' && !cur.mirrorByDigestOnly) {
        reasons.push(`${key(old)}: added mirror ${m.location} is not digest-only`);
      }
    }
  }
  for (const cur of after.registries) {
    if (beforeBy.has(key(cur))) continue;
    if (cur.mirrors.length === 0 && !cur.mirrorByDigestOnly)
      reasons.push(`new [[registry]] ${key(cur)} without digest-only mirrors (insecure or blocked scope)`);
    else if (!cur.mirrorByDigestOnly && cur.mirrors.some((m) => m.pullFromMirror !== 'digest-only'))
      reasons.push(`new [[registry]] ${key(cur)} has mirrors that are not digest-only`);
  }
  return { drain: reasons.length > 0, reasons };
}
