// The first thing CRI-O does with an image name: parse it (shortnames.Resolve -> reference.Parse, and
// ParseNormalizedNamed for a fully qualified name), before any configuration file is read. So a bad reference is
// reported even when the configuration is bad too.
import { parseNormalizedNamed, parseReference } from './reference.ts';
import { isRegistryDomain } from './short-name-aliases.ts';

/** Throws the reference's EngineError (stage "reference"); returns nothing when CRI-O would accept the name. */
export function checkPullReference(image: string): void {
  const ref = parseReference(image);
  if (isRegistryDomain(ref.domain)) parseNormalizedNamed(image);
}
