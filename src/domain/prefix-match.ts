// How containers/image matches a reference against a [[registry]] prefix (refMatchingPrefix and
// refMatchingSubdomainPrefix): path boundaries, the ":"-boundary quirk, and the first-occurrence wildcard rule.

/** Length of the matched prefix in ref, or -1. For "*.d" prefixes the length is that of the host part matched. */
export function refMatchingPrefix(ref: string, prefix: string): number {
  if (prefix.startsWith('*.')) return refMatchingSubdomainPrefix(ref, prefix);
  if (ref.length < prefix.length) return -1;
  if (ref.length === prefix.length) return ref === prefix ? prefix.length : -1;
  if (!ref.startsWith(prefix)) return -1;
  // ":" is accepted too, so "example.com" also matches "example.com:5000/..." (upstream marks this unintended).
  const c = ref[prefix.length];
  return c === ':' || c === '/' || c === '@' ? prefix.length : -1;
}

/** Wildcard "*.d": only the first occurrence of ".d" is examined, and it must be inside the host. */
export function refMatchingSubdomainPrefix(ref: string, prefix: string): number {
  const suffix = prefix.slice(1);
  let index = ref.indexOf(suffix);
  if (index === -1) return -1;
  if (ref.slice(0, index).includes('/')) return -1;
  index += suffix.length;
  if (index === ref.length) return index;
  const c = ref[index];
  return c === ':' || c === '/' || c === '@' ? index : -1;
}
