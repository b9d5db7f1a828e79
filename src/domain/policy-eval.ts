// How containers/image judges a pull against policy.json (signature/policy_eval.go requirementsForImageRef,
// docker/policyconfiguration/naming.go). The reference judged is the LOGICAL one (the name the pod spec asked
// for, normalised), never the mirror that served it: dockerImageSource.Reference() returns logicalRef.
import type { PolicyJson, PolicyRequirement } from './policy-json.ts';
import { refName } from './reference.ts';
import type { ImageReference } from './reference.ts';

export interface PolicyDecision {
  /** docker transport identity judged: name:tag or name@digest of the logical reference. */
  identity: string;
  /** The scope that decided: a transports.docker key, "" for the transport default, null for the global default. */
  scope: string | null;
  requirements: PolicyRequirement[];
  allowed: boolean;
  /** The error containers/image returns (copy: "Source image rejected: " + this), null when allowed. */
  message: string | null;
}

/** PolicyConfigurationIdentity of the docker transport: the name plus :tag or @digest. */
export function policyIdentity(ref: ImageReference): string {
  return refName(ref) + (ref.digest !== undefined ? `@${ref.digest}` : ref.tag !== undefined ? `:${ref.tag}` : '');
}

/** DockerReferenceNamespaces: the repository, each parent path, the host (with port), then *.parent domains. */
export function policyNamespaces(ref: ImageReference): string[] {
  const res: string[] = [];
  let name = refName(ref);
  for (;;) {
    res.push(name);
    const slash = name.lastIndexOf('/');
    if (slash === -1) break;
    name = name.slice(0, slash);
  }
  const colon = name.indexOf(':');
  if (colon !== -1) name = name.slice(0, colon);
  for (;;) {
    const dot = name.indexOf('.');
    if (dot === -1) break;
    name = name.slice(dot + 1);
    res.push(`*.${name}`);
  }
  return res;
}

/** reference.FamiliarString: docker.io/ and docker.io/library/ dropped, as in the user-facing message. */
export function familiarString(ref: ImageReference): string {
  let name = refName(ref);
  if (ref.domain === 'docker.io') {
    const parts = ref.path.split('/');
    name = parts.length === 2 && parts[0] === 'library' ? parts[1]! : ref.path;
  }
  return name + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

/** requirementsForImageRef + IsRunningImageAllowed for the requirement types the MCO writes. */
export function evaluatePolicy(policy: PolicyJson, ref: ImageReference): PolicyDecision {
  const identity = policyIdentity(ref);
  let scope: string | null = null;
  let requirements = policy.default;
  const scopes = Object.hasOwn(policy.transports, 'docker') ? policy.transports.docker : undefined;
  if (scopes !== undefined) {
    const has = (k: string): boolean => Object.hasOwn(scopes, k);
    const hit = has(identity) ? identity : (policyNamespaces(ref).find(has) ?? (has('') ? '' : undefined));
    if (hit !== undefined) {
      scope = hit;
      requirements = scopes[hit]!;
    }
  }
  // every requirement must allow; an empty list is refused by containers/image as well
  const allowed = requirements.length > 0 && requirements.every((r) => r.type === 'insecureAcceptAnything');
  let message: string | null = null;
  if (requirements.length === 0) message = 'List of verification policy requirements must not be empty';
  else if (!allowed) message = `Running image docker://${familiarString(ref)} is rejected by policy.`;
  return { identity, scope, requirements, allowed, message };
}
