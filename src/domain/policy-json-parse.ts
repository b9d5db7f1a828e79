// A node's /etc/containers/policy.json, read for `why --registries-conf ... --policy-json-file`: the shape
// containers/image requires (signature/policy_config.go: a "default" list, requirement objects with a "type",
// transports -> scopes -> lists). Requirement types other than the two the MCO writes are kept, not judged.
import { EngineError } from './engine-error.ts';
import type { PolicyJson, PolicyRequirement } from './policy-json.ts';

const bad = (path: string, what: string): EngineError =>
  new EngineError('input', `${path}: ${what} (expected a policy.json as containers-policy.json(5) describes it)`);

function requirements(v: unknown, path: string, where: string): PolicyRequirement[] {
  if (!Array.isArray(v)) throw bad(path, `${where} is not a list of requirements`);
  return v.map((r, i) => {
    if (r === null || typeof r !== 'object' || typeof (r as { type?: unknown }).type !== 'string')
      throw bad(path, `${where}[${i}] has no "type"`);
    return r as PolicyRequirement;
  });
}

export function parseNodePolicyJson(text: string, path: string): PolicyJson {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw bad(path, `not JSON: ${(e as Error).message}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw bad(path, 'not a JSON object');
  const o = doc as Record<string, unknown>;
  if (!Object.hasOwn(o, 'default')) throw bad(path, 'no "default" requirements');
  const policy: PolicyJson = { default: requirements(o.default, path, 'default'), transports: {} };
  if (o.transports !== undefined) {
    if (o.transports === null || typeof o.transports !== 'object' || Array.isArray(o.transports))
      throw bad(path, '"transports" is not an object');
    for (const [t, scopes] of Object.entries(o.transports as Record<string, unknown>)) {
      if (scopes === null || typeof scopes !== 'object' || Array.isArray(scopes))
        throw bad(path, `transports.${t} is not an object`);
      policy.transports[t] = Object.fromEntries(
        Object.entries(scopes as Record<string, unknown>).map(([s, r]) => [
          s,
          requirements(r, path, `transports.${t}[${JSON.stringify(s)}]`),
        ]),
      );
    }
  }
  return policy;
}
