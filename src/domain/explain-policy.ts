// The policy.json part of `icsp why`: the file the MCO renders from image.config, judged against the logical
// reference after the pull plan. containers/image consults the policy only once a pull source served the
// manifest, so "every source blocked" stays all-blocked; otherwise a rejection is the verdict rejected-by-policy,
// naming the image.config field (allowedRegistries or blockedRegistries) and the fix.
import { EngineError } from './engine-error.ts';
import { evaluatePolicy } from './policy-eval.ts';
import type { PayloadFilterResult } from './payload-filter.ts';
import { renderPolicyJson } from './policy-json.ts';
import type { PolicyField, PolicyJson, PolicyJsonRender } from './policy-json.ts';
import type { PolicySet } from './policy-set.ts';
import type { PullSource } from './pull-source.ts';
import { refName } from './reference.ts';
import type { ImageReference } from './reference.ts';

export const POLICY_JSON_PATH = '/etc/containers/policy.json';
export const SOURCE_IMAGE_REJECTED = 'Source image rejected: ';

/** `policy` in `why --json`. */
export interface PolicyCheck {
  /** /etc/containers/policy.json as rendered, or the node's file given with --policy-json-file. */
  file: string;
  /** True when the MCO writes policy.json from image.config; false: the template (accepts everything). */
  rendered: boolean;
  /** The logical reference the policy judges (docker transport identity), never a mirror. */
  identity: string;
  /** The transports.docker scope that decided; null for the file's default. */
  scope: string | null;
  allowed: boolean;
  /** False when no pull source can serve (all blocked in registries.conf): the policy is never consulted. */
  reached: boolean;
  /** The image.config field behind a rejection. */
  field: PolicyField | null;
  /** The blockedRegistries entry behind a rejection (null for allowedRegistries: no entry matched). */
  entry: string | null;
  /** What the node reports, in containers/image's words. */
  message: string | null;
}

export interface PolicyFindings {
  check: PolicyCheck | null;
  /** Replaces the plan's verdict when the policy rejects a pull that would otherwise be served. */
  verdict: { code: 'rejected-by-policy'; summary: string } | null;
  /** Goes first in the advice. */
  advice: string[];
  /** The MCO refusing image.config for policy.json reasons (both lists set, a bad entry). */
  refusal: string | null;
}

const NONE: PolicyFindings = { check: null, verdict: null, advice: [], refusal: null };

/**
 * One render per policy set: the bot explains many images against the same (immutable) set, and the payload
 * filter result is a function of the set. A refusal is cached as its message.
 */
const renders = new WeakMap<PolicySet, PolicyJsonRender | string>();

function cachedRender(p: PolicySet, payloadFilter: PayloadFilterResult | undefined): PolicyJsonRender | string {
  let r = renders.get(p);
  if (r === undefined) {
    try {
      r = renderPolicyJson(p, payloadFilter);
    } catch (e) {
      if (!(e instanceof EngineError) || e.stage !== 'render') throw e;
      r = e.message;
    }
    renders.set(p, r);
  }
  return r;
}

export function policyFindings(
  p: PolicySet,
  payloadFilter: PayloadFilterResult | undefined,
  ref: ImageReference,
  pullSources: readonly PullSource[],
): PolicyFindings {
  const render = cachedRender(p, payloadFilter);
  if (typeof render === 'string') return { ...NONE, refusal: render };
  return findingsFor(render, ref, pullSources, POLICY_JSON_PATH);
}

/**
 * A node's own policy.json (`why --registries-conf ... --policy-json-file`): judged the same way. Which
 * image.config field made an entry is read back from its shape (the MCO writes accept entries under a default
 * reject for allowedRegistries, reject entries for blockedRegistries). Signature requirements are not judged
 * offline: the answer says so instead.
 */
export function nodePolicyFindings(
  node: { path: string; policy: PolicyJson },
  ref: ImageReference,
  pullSources: readonly PullSource[],
): PolicyFindings & { note: string | null } {
  const docker = Object.hasOwn(node.policy.transports, 'docker') ? node.policy.transports.docker! : {};
  const d = evaluatePolicy(node.policy, ref);
  const other = d.requirements.find((r) => r.type !== 'reject' && r.type !== 'insecureAcceptAnything');
  if (other !== undefined && !d.requirements.some((r) => r.type === 'reject')) {
    return {
      ...NONE,
      note:
        `${node.path} requires ${other.type} for ${d.identity} (scope ` +
        `${d.scope === null ? 'default' : JSON.stringify(d.scope)}): signature checks are ` +
        `not judged offline; the live check (icsp why --live) shows what the node does`,
    };
  }
  const defaultRejects = node.policy.default.some((r) => r.type === 'reject');
  const keys = Object.keys(docker).filter((k) => k !== '');
  const render: PolicyJsonRender = {
    rendered: true,
    policy: node.policy,
    inputs: {
      allowed: defaultRejects ? keys.filter((k) => docker[k]!.every((r) => r.type === 'insecureAcceptAnything')) : null,
      blocked: keys.filter((k) => docker[k]!.some((r) => r.type === 'reject')),
    },
    payloadRepo: null,
  };
  return { ...findingsFor(render, ref, pullSources, node.path), note: null };
}

function findingsFor(
  render: PolicyJsonRender,
  ref: ImageReference,
  pullSources: readonly PullSource[],
  path: string,
): PolicyFindings {
  const d = evaluatePolicy(render.policy, ref);
  const usable = pullSources.filter((s) => !s.blocked);
  const blockedList = render.inputs.blocked ?? [];
  let field: PolicyField | null = null;
  let entry: string | null = null;
  if (!d.allowed) {
    if (d.scope !== null && blockedList.includes(d.scope)) {
      field = 'blockedRegistries';
      entry = d.scope;
    } else if (d.scope === null && render.inputs.allowed !== null) field = 'allowedRegistries';
  }
  const check: PolicyCheck = {
    file: path,
    rendered: render.rendered,
    identity: d.identity,
    scope: d.scope,
    allowed: d.allowed,
    reached: usable.length > 0,
    field,
    entry,
    message: d.message === null ? null : SOURCE_IMAGE_REJECTED + d.message,
  };
  if (d.allowed || usable.length === 0) return { ...NONE, check };

  const name = refName(ref);
  const first = usable[0]!;
  const mirrorHosts = [
    ...new Set(usable.filter((s) => s.mirror).map((s) => (s.location || s.reference).split('/')[0]!)),
  ];
  const served = first.mirror ? `mirror ${first.location || first.reference}` : `source ${ref.domain}`;
  const upstream = `"${check.message}"`;
  let summary: string;
  const advice: string[] = [];
  if (field === 'blockedRegistries') {
    summary = `${name} is rejected by policy.json: image.config blockedRegistries entry ${entry} covers it.`;
    summary +=
      mirrorHosts.length > 0
        ? ` Its mirrors serve the manifest (${served} first; registries.conf blocks only the source), but the ` +
          `policy judges the name the pod asked for, not the mirror, so the pull fails with ${upstream}`
        : ` The node gets the manifest from the ${served}, then fails with ${upstream}`;
    advice.push(
      `Remove ${entry} from image.config spec.registrySources.blockedRegistries: a ` +
        `blocked source is rejected by policy.json even when a mirror serves it.`,
    );
    if (mirrorHosts.length > 0)
      advice.push(
        'To keep nodes off the source but use its mirrors, drop the blockedRegistries entry ' +
          'and set mirrorSourcePolicy: NeverContactSource on the ImageDigestMirrorSet / ' +
          'ImageTagMirrorSet instead (that blocks the source in registries.conf only).',
      );
  } else {
    const allowedList = (render.inputs.allowed ?? []).join(', ');
    summary =
      `${name} is rejected by policy.json: nothing in image.config allowedRegistries (${allowedList}) covers ` +
      `it, so the default "reject" applies. The node gets the manifest from ` +
      `${usable.length > 1 ? `the first pull source that has it (${served} first)` : `the ${served}`}, then ` +
      `fails with ${upstream}`;
    if (mirrorHosts.length > 0)
      summary +=
        ` The policy judges the name the pod asked for (${ref.domain}), never the ` +
        `mirror: adding the mirror host ${mirrorHosts.join(', ')} does not help.`;
    advice.push(
      `Add ${ref.domain} (or the repository ${name}) to image.config spec.registrySources.allowedRegistries: ` +
        `the source name as the pod spec writes it, not the mirror host. Scopes match whole path components; a ` +
        `host without port does not cover host:port; *.example.com does not cover example.com.`,
    );
  }
  return { check, verdict: { code: 'rejected-by-policy', summary }, advice, refusal: null };
}

/** The same warning the registries.conf refusals give: nothing of the configuration reaches the nodes. */
export function refusalWarning(message: string): { code: 'mco-rejects-config'; message: string } {
  return {
    code: 'mco-rejects-config',
    message:
      `The Machine Config Operator refuses image.config: ${message} (updatePolicyJSON). Neither ` +
      `policy.json nor registries.conf of this configuration reaches the nodes (the error shows only ` +
      `in the machine-config-controller log); the policy.json check is skipped.`,
  };
}
