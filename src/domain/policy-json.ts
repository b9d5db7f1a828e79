// /etc/containers/policy.json as the Machine Config Operator writes it from image.config.openshift.io/cluster
// (container-runtime-config controller: registriesConfigIgnition + updatePolicyJSON; sources and line numbers in
// docs/policy-json.md). allowedRegistries -> default reject + insecureAcceptAnything per entry; blockedRegistries
// -> reject per entry. The text is what Go's json.MarshalIndent(policy, "", "  ") produces, byte for byte.
import { EngineError } from './engine-error.ts';
import { parseNamed, refName } from './reference.ts';
import type { PayloadFilterResult } from './payload-filter.ts';
import type { PolicySet } from './policy-set.ts';
import { isValidRegistriesConfScope } from './scope.ts';

export type PolicyRequirementType = 'reject' | 'insecureAcceptAnything';
export interface PolicyRequirement {
  type: PolicyRequirementType;
}
export type PolicyTransportScopes = Record<string, PolicyRequirement[]>;
export interface PolicyJson {
  default: PolicyRequirement[];
  transports: Record<string, PolicyTransportScopes>;
}

/** Which image.config field put a scope into policy.json. */
export type PolicyField = 'allowedRegistries' | 'blockedRegistries';

export interface PolicyJsonRender {
  /** False when the MCO leaves the template's policy.json on the nodes. */
  rendered: boolean;
  reason?: string;
  policy: PolicyJson;
  /** The lists updatePolicyJSON was given (after the payload filter). */
  inputs: { allowed: string[] | null; blocked: string[] | null };
  /** The release payload repository the MCO allows because it blocks its registry behind a mirror. */
  payloadRepo: string | null;
}

/**
 * templates/{master,worker,arbiter}/01-*-container-runtime/_base/files/policy.yaml, `contents.inline`: a YAML
 * literal block whose last line has no line break, so the file has none either.
 */
export const TEMPLATE_POLICY_JSON = `{
    "default": [
        {
            "type": "insecureAcceptAnything"
        }
    ],
    "transports":
        {
            "docker-daemon":
                {
                    "": [{"type":"insecureAcceptAnything"}]
                }
        }
}`;

const TEMPLATE_POLICY: PolicyJson = {
  default: [{ type: 'insecureAcceptAnything' }],
  transports: { 'docker-daemon': { '': [{ type: 'insecureAcceptAnything' }] } },
};

const fail = (msg: string): EngineError => new EngineError('render', msg);

/** The two lists updatePolicyJSON receives: from the payload filter, or (no ClusterVersion) the spec as given. */
export function policyInputs(
  p: PolicySet,
  payloadFilter: PayloadFilterResult | undefined,
): { allowed: string[] | null; blocked: string[] | null } {
  if (payloadFilter !== undefined)
    return { allowed: payloadFilter.allowedForPolicy, blocked: payloadFilter.policyBlocked };
  const s = p.image?.spec.registrySources ?? {};
  // Go: append(nil, empty...) stays nil, so an empty list counts as unset.
  const orNull = (a: string[] | undefined): string[] | null => (a === undefined || a.length === 0 ? null : [...a]);
  return { allowed: orNull(s.allowedRegistries), blocked: orNull(s.blockedRegistries) };
}

function payloadRepoOf(releaseImage: string | undefined): string | null {
  if (releaseImage === undefined) return null;
  try {
    return refName(parseNamed(releaseImage));
  } catch {
    throw fail(`error parsing release image reference ${JSON.stringify(releaseImage)}`);
  }
}

/**
 * updatePolicyJSON: refuses both lists (unless "allowed" is only the payload repository the payload filter added),
 * validates the scopes, then writes default + docker/atomic scopes. Throws EngineError stage "render" with the
 * MCO's message; the MCO then writes neither policy.json nor registries.conf.
 */
export function renderPolicyJson(p: PolicySet, payloadFilter: PayloadFilterResult | undefined): PolicyJsonRender {
  const inputs = policyInputs(p, payloadFilter);
  const { allowed, blocked } = inputs;
  const payloadRepo = payloadRepoOf(p.releaseImage);
  if (allowed !== null && blocked !== null) {
    if (!(allowed.length === 1 && allowed[0] === payloadRepo)) {
      throw fail('invalid images config: only one of AllowedRegistries or BlockedRegistries may be specified');
    }
  }
  if (allowed === null && blocked === null) {
    return {
      rendered: false,
      reason:
        'neither allowedRegistries nor blockedRegistries is set: the MCO ships no policy.json, nodes keep the template',
      policy: structuredClone(TEMPLATE_POLICY),
      inputs,
      payloadRepo,
    };
  }
  for (const s of blocked ?? [])
    if (!isValidRegistriesConfScope(s)) throw fail(`invalid entry for blocked registries ${JSON.stringify(s)}`);
  for (const s of allowed ?? [])
    if (!isValidRegistriesConfScope(s)) throw fail(`invalid entry for allowed registries ${JSON.stringify(s)}`);

  const policy = structuredClone(TEMPLATE_POLICY);
  // a Map while filling (a plain object with thousands of keys is slow to grow), one object at the end
  const scopes = new Map<string, PolicyRequirement[]>();
  if (allowed !== null) {
    policy.default = [{ type: 'reject' }];
    for (const reg of allowed) scopes.set(reg, [{ type: 'insecureAcceptAnything' }]);
  }
  if (blocked !== null) {
    policy.default = [{ type: 'insecureAcceptAnything' }];
    for (const reg of blocked) scopes.set(reg, [{ type: 'reject' }]);
  }
  if (scopes.size > 0) {
    policy.transports.docker = Object.fromEntries(scopes);
    // the atomic transport's scopes allow at most host/namespace/stream: entries with 3+ "/" are left out
    policy.transports.atomic = Object.fromEntries([...scopes].filter(([reg]) => reg.split('/').length - 1 < 3));
  }
  return { rendered: true, policy, inputs, payloadRepo };
}

/** The file's exact bytes (no trailing newline, as the MCO writes it); encoded only when asked for. */
export function policyJsonText(r: PolicyJsonRender): string {
  return r.rendered ? marshalIndentGo(r.policy) : TEMPLATE_POLICY_JSON;
}

const HAS_SURROGATE = /[\ud800-\udfff]/;

/** Go's byte order of map keys (sort.Strings on UTF-8); UTF-16 order agrees below the surrogate range. */
function goKeyOrder(a: string, b: string): number {
  if (!HAS_SURROGATE.test(a) && !HAS_SURROGATE.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const PLAIN = /^[\u0020-\u007e]*$/;
const NEEDS_ESCAPE = /["\\<>&]/;

/** encoding/json string escaping: HTML-safe (<, >, & as \u003c...), U+2028/2029 escaped, \b \f \n \r \t short. */
export function goJsonString(s: string): string {
  if (PLAIN.test(s) && !NEEDS_ESCAPE.test(s)) return `"${s}"`;
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || ch === '<' || ch === '>' || ch === '&' || c === 0x2028 || c === 0x2029)
      out += `\\u${c.toString(16).padStart(4, '0')}`;
    else if (c >= 0xd800 && c <= 0xdfff)
      out += '\\ufffd'; // a lone surrogate is invalid UTF-8: Go writes U+FFFD
    else out += ch;
  }
  return `${out}"`;
}

/** json.MarshalIndent(v, "", "  ") for the shapes policy.json has: objects (keys sorted), arrays, strings. */
export function marshalIndentGo(v: unknown, indent = ''): string {
  const inner = `${indent}  `;
  if (typeof v === 'string') return goJsonString(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((x) => inner + marshalIndentGo(x, inner)).join(',\n')}\n${indent}]`;
  }
  if (v !== null && typeof v === 'object') {
    // maps are sorted; the struct fields (default, transports; type) happen to be declared in that order too
    const ordered = Object.keys(v).sort(goKeyOrder);
    if (ordered.length === 0) return '{}';
    const rec = v as Record<string, unknown>;
    const members = ordered.map((k) => `${inner}${goJsonString(k)}: ${marshalIndentGo(rec[k], inner)}`);
    return `{\n${members.join(',\n')}\n${indent}}`;
  }
  if (v === null) return 'null';
  return JSON.stringify(v);
}
