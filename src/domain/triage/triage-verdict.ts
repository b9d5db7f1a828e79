// One verdict and fix for an image that does not pull, from what the node already said (the kubelet's events and
// waiting message, read by the event parser) and the plan of the node's pool (its rendered registries.conf) and of
// the live policies. Pure. The cause is also the grouping key of the triage channel: (image, cause).
import type { EventContext } from '../evidence/event-parser.ts';
import type { AttemptOutcome } from '../evidence/evidence-types.ts';
import { EventTextParser } from '../evidence/event-parser.ts';
import type { EvidenceJson } from '../evidence/evidence-json.ts';
import { toEvidenceJson } from '../evidence/evidence-json.ts';
import type { JudgedAttempt } from '../evidence/evidence-verdict.ts';
import { judgeEvidence } from '../evidence/evidence-verdict.ts';
import type { Explanation } from '../explain.ts';
import { referenceName } from '../evidence/podman-log-parser.ts';

export const TRIAGE_CAUSES = [
  'not-mirrored',
  'mirror-unauthorized',
  'mirror-tls',
  'mirror-down',
  'rate-limited',
  'tag-pull-digest-only-mirror',
  'source-blocked',
  'source-unreachable',
  'source-unauthorized',
  'source-tls',
  'image-not-found',
  'short-name-ambiguous',
  'rejected-by-policy',
  'rollout-pending',
  'no-error-text',
  'unknown',
] as const;
export type TriageCause = (typeof TRIAGE_CAUSES)[number];

export interface NodeContext {
  node: string | null;
  pool: string | null;
  /** machineconfiguration.openshift.io/{currentConfig,desiredConfig,state} of the node. */
  mco: { current?: string; desired?: string; state?: string } | null;
}

export interface TriageInput {
  /** The image as the pod spec names it. */
  image: string;
  /** Everything the kubelet said about it: event messages, the waiting message. */
  texts: string[];
  node: NodeContext;
  /** The plan of the node's own rendered registries.conf (its current MachineConfig); null when unknown. */
  nodePlan: Explanation | null;
  /** The plan of the live policies as the MCO would render them now; null when unknown. */
  policyPlan: Explanation | null;
}

export interface TriageVerdict {
  image: string;
  cause: TriageCause;
  /** One line: what the node tried and what it means. */
  headline: string;
  /** What to do, in order. */
  fix: string[];
  /** Supporting facts: each candidate with its outcome, the node's configuration state. */
  facts: string[];
  evidence: EvidenceJson;
  event: EventContext;
  /** Mirror hosts the node tried (for the channel message and grouping). */
  mirrors: string[];
}

function host(ref: string): string {
  const slash = ref.indexOf('/');
  return slash < 0 ? ref : ref.slice(0, slash);
}

function repoOf(ref: string): string {
  return referenceName(ref);
}

function list(xs: string[]): string {
  if (xs.length <= 1) return xs.join('');
  return `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1] ?? ''}`;
}

// Every outcome has its words (a full Record): a new outcome class does not compile until it is worded here.
const SOURCE_WORDS: Record<AttemptOutcome, string> = {
  served: 'served it',
  dns: 'does not resolve from the node',
  'connection-refused': 'refuses connections from the node',
  unreachable: 'cannot be reached from the node (no route or connection reset)',
  timeout: 'does not answer the node in time',
  blocked: 'is blocked on the node (NeverContactSource / blockedRegistries), so it was not contacted',
  'manifest-unknown': 'does not have it either',
  unauthorized: 'asks for credentials the node does not have',
  forbidden: 'denies the node access to it',
  tls: 'presents a certificate the node does not trust',
  'rate-limited': 'refuses with "too many requests" (a pull rate limit)',
  'rejected-by-policy': "served it, and the node's policy.json rejected it",
  'short-name-ambiguous': 'was not tried (ambiguous short name)',
  other: 'failed too (other)',
};

/**
 * containers/image's ErrV1NotSupported: the /v2/ ping answered neither 200 nor 401 and /v1/_ping answered, and the
 * error does not keep the ping's status (docker_client.go:819-860, 5.23.1); Quay's nginx rate limit gives it.
 */
const V1_PING = "can't talk to a V1 container registry";
const V1_PING_WORDS =
  `answered its /v2/ ping with neither 200 nor 401 ("${V1_PING}": often a proxy's 429 rate limit, ` +
  "e.g. Quay's nginx; the kubelet's text does not keep the status)";

function sourceWords(a: JudgedAttempt): string {
  return a.outcome === 'other' && a.detail.startsWith(V1_PING) ? V1_PING_WORDS : SOURCE_WORDS[a.outcome];
}

/** Outcomes that mean the node could not talk to the registry at all: a mirror with one of them is down. */
const NETWORK_FAILURES: ReadonlySet<AttemptOutcome> = new Set(['connection-refused', 'unreachable', 'timeout', 'dns']);

function planRefs(e: Explanation | null): string[] {
  return e === null ? [] : e.pullSources.map((s) => s.reference);
}

/** The policies predict mirrors the node's own configuration does not have yet (or the other way round). */
function rolloutPending(i: TriageInput): string[] | null {
  if (i.nodePlan === null || i.policyPlan === null || i.nodePlan.error !== null || i.policyPlan.error !== null)
    return null;
  const node = planRefs(i.nodePlan);
  const pol = planRefs(i.policyPlan);
  if (node.join('\n') === pol.join('\n')) return null;
  return pol.filter((r) => !node.includes(r));
}

export function triageImage(i: TriageInput): TriageVerdict {
  const parser = new EventTextParser(i.image);
  for (const t of i.texts) for (const line of t.split('\n')) parser.push(line);
  const read = parser.finish();
  const e = read.evidence;
  // a short-name or policy refusal is not a walk over candidates: nothing to compare with a plan
  const walked = !e.attempts.some((a) => a.outcome === 'short-name-ambiguous' || a.outcome === 'rejected-by-policy');
  const plan =
    walked && i.nodePlan !== null && i.nodePlan.error === null && i.nodePlan.normalizedReference !== null
      ? {
          normalizedReference: i.nodePlan.normalizedReference,
          matchedPrefix: i.nodePlan.matchedPrefix,
          pullSources: i.nodePlan.pullSources,
        }
      : null;
  const judgement = judgeEvidence(e, plan, { image: e.logicalReference ?? i.image });
  const evidence = toEvidenceJson({
    evidence: e,
    judgement,
    plan,
    image: e.logicalReference ?? i.image,
    bytes: 0,
    truncatedLines: 0,
    event: read.event,
  });
  const attempts = judgement.attempts;
  const mirrors = attempts.filter((a) => a.mirror);
  const source = [...attempts].reverse().find((a) => !a.mirror) ?? null;
  const facts: string[] = attempts.map(
    (a) =>
      `${a.mirror ? 'mirror' : 'source'} ${a.reference}: ${a.outcome}` +
      `${a.detail !== '' ? ` (${a.detail.length > 300 ? `${a.detail.slice(0, 300)}…` : a.detail})` : ''}`,
  );
  const fix: string[] = [];
  const where =
    i.node.node !== null ? `node ${i.node.node}${i.node.pool !== null ? ` (pool ${i.node.pool})` : ''}` : 'the node';
  let cause: TriageCause;
  let headline: string;

  const pending = rolloutPending(i);
  const mco = i.node.mco;
  if (mco !== null && mco.current !== undefined && mco.desired !== undefined && mco.current !== mco.desired) {
    facts.push(
      `${where} is updating: currentConfig ${mco.current}, ` +
        `desiredConfig ${mco.desired}${mco.state !== undefined ? `, state ${mco.state}` : ''}`,
    );
  }
  const outcome = (o: string): JudgedAttempt | undefined => attempts.find((a) => a.outcome === o);
  const src = source !== null ? `the source ${host(source.reference)} ${sourceWords(source)}` : '';
  const tried = (as: JudgedAttempt[]): string => list(as.map((a) => `${host(a.reference)} (${a.outcome})`));

  if (outcome('short-name-ambiguous') !== undefined) {
    cause = 'short-name-ambiguous';
    headline =
      `${i.image} is a short name and the node's short-name mode is enforcing ` +
      `with several search registries, so CRI-O refuses to guess`;
    fix.push(
      `use the fully qualified name (registry/namespace/${i.image}) in the pod spec`,
      'or add a short-name alias for it (registries.conf.d [aliases]) through a MachineConfig',
    );
  } else if (outcome('rejected-by-policy') !== undefined) {
    cause = 'rejected-by-policy';
    headline = `the node's signature policy rejects ${i.image} (${outcome('rejected-by-policy')?.detail ?? ''})`;
    fix.push(
      'check image.config.openshift.io/cluster spec.registrySources (allowedRegistries / ' +
        'blockedRegistries) and any ClusterImagePolicy / ImagePolicy for this repository',
      'sign the image, or allow its registry',
    );
  } else if (attempts.length === 0) {
    cause = read.event.kinds.length > 0 && e.finalError === null ? 'no-error-text' : 'unknown';
    headline =
      cause === 'no-error-text'
        ? `the kubelet's text for ${i.image} carries no pull error yet (only "Back-off ` +
          `pulling image"); the Failed event that has it may have expired`
        : `no pull error for ${i.image} could be read` +
          `${e.finalError !== null ? `: ${e.finalError.split('\n')[0] ?? ''}` : ''}`;
    fix.push(`run the live check on ${where}: it pulls the image there and shows every candidate`);
  } else if (pending !== null && pending.length > 0) {
    cause = 'rollout-pending';
    headline =
      `${where} has not got the mirror configuration the policies now describe: the policies ` +
      `add ${list(pending.map(host))}, which the node's registries.conf ` +
      `(${mco?.current ?? 'its current rendered config'}) lacks; the node tried ${tried(attempts)}`;
    fix.push(
      (
        `wait for the MachineConfigPool ${i.node.pool ?? ''} to roll the change out (\`icsp ` +
        `status\`, \`oc get mcp\`); a paused or degraded pool never finishes`
      ).replace('  ', ' '),
    );
  } else if (mirrors.length === 0) {
    if (
      i.nodePlan?.verdict.code === 'tag-pull-skips-digest-mirrors' ||
      (e.logicalReference !== null &&
        !e.logicalReference.includes('@') &&
        (i.nodePlan?.skippedMirrors.some((s) => s.reason === 'tag-pull-digest-only-mirror') ?? false))
    ) {
      cause = 'tag-pull-digest-only-mirror';
      const skipped =
        i.nodePlan?.skippedMirrors.filter((s) => s.reason === 'tag-pull-digest-only-mirror').map((s) => s.location) ??
        [];
      headline =
        `${i.image} is pulled by tag, and the mirrors for it (${list(skipped)}) are ` +
        `digest-only (ICSP/IDMS), so the node never tried them; ${src}`;
      fix.push(
        `pull by digest: ${repoOf(i.image)}@sha256:… (oc-mirror and \`oc adm release mirror\` mirror by digest)`,
        `or add an ImageTagMirrorSet for ${repoOf(source?.reference ?? i.image)} ` +
          `(tag-only mirrors: a mutable tag may then come from the mirror)`,
      );
    } else if (source?.outcome === 'blocked') {
      cause = 'source-blocked';
      headline =
        `the node tried only the source ${host(source.reference)}, which is ` +
        `blocked, and no mirror is a candidate for this pull`;
      fix.push(
        `add a mirror for ${repoOf(source.reference)} (ImageDigestMirrorSet ` +
          `/ ImageTagMirrorSet), or pull from a mirrored path`,
        'or unblock the source (mirrorSourcePolicy AllowContactingSource, image.config blockedRegistries)',
      );
    } else if (source?.outcome === 'manifest-unknown') {
      cause = 'image-not-found';
      headline =
        `no mirror applies to ${i.image} and the source ` +
        `${host(source.reference)} does not have it: a wrong name, tag or digest`;
      fix.push('check the image name, tag or digest in the pod spec');
    } else if (source?.outcome === 'unauthorized' || source?.outcome === 'forbidden') {
      cause = 'source-unauthorized';
      headline =
        `no mirror applies to ${i.image} and the ` + `source ${host(source.reference)} refuses the node's credentials`;
      fix.push(
        `add ${host(source.reference)} to the cluster pull secret ` +
          `(openshift-config/pull-secret) or give the pod an imagePullSecret`,
      );
    } else if (source?.outcome === 'tls') {
      cause = 'source-tls';
      headline = `no mirror applies to ${i.image} and the node does not trust ${host(source.reference)}'s certificate`;
      fix.push(
        `add the registry's CA to image.config.openshift.io/cluster ` +
          `spec.additionalTrustedCA (ConfigMap key ${host(source.reference).replace(':', '..')})`,
      );
    } else if (source?.outcome === 'rate-limited') {
      cause = 'rate-limited';
      headline =
        `no mirror applies to ${i.image} and the ` + `source ${host(source.reference)} ${SOURCE_WORDS['rate-limited']}`;
      fix.push(
        `mirror ${repoOf(source.reference)} to a registry without a pull ` +
          `limit (oc-mirror) and add ${
            source.reference.includes('@')
              ? 'an ImageDigestMirrorSet'
              : 'an ImageTagMirrorSet (this is a tag pull: digest mirrors never serve tags), ' +
                'or pull by digest with an ImageDigestMirrorSet'
          } for it`,
        `or add credentials for ${host(source.reference)} to the cluster ` +
          `pull secret (authenticated pulls get higher limits)`,
      );
    } else {
      cause = 'source-unreachable';
      headline =
        `no mirror applies to ${i.image} (` +
        `${i.nodePlan?.verdict.summary ?? 'no mirror configured for it'}), and ${src}`;
      fix.push(
        `mirror ${repoOf(source?.reference ?? i.image)} (oc-mirror: add it to the ` +
          `ImageSetConfiguration) and add an ImageDigestMirrorSet for it`,
        'or let the node reach the registry (proxy, firewall, DNS)',
      );
      if (source?.detail.startsWith(V1_PING) === true)
        fix.push(
          `a live check on the node shows the status ${host(source.reference)} answered in podman's debug log ` +
            '("Ping https://.../v2/ status N", "Too many requests to ...")',
        );
    }
  } else if (mirrors.some((a) => a.outcome === 'unauthorized' || a.outcome === 'forbidden')) {
    cause = 'mirror-unauthorized';
    const bad = mirrors.filter((a) => a.outcome === 'unauthorized' || a.outcome === 'forbidden');
    headline =
      `the node tried ${tried(mirrors)}: ${list(bad.map((a) => host(a.reference)))}` +
      ` refused its credentials${source !== null ? `; ${src}` : ''}`;
    fix.push(
      `add ${list([...new Set(bad.map((a) => host(a.reference)))])} to the cluster pull secret ` +
        `(openshift-config/pull-secret): CRI-O looks credentials up per mirror host`,
      'the change reaches the nodes without a reboot; then delete the pod or wait for its next pull',
    );
  } else if (mirrors.some((a) => a.outcome === 'tls')) {
    cause = 'mirror-tls';
    const bad = mirrors.filter((a) => a.outcome === 'tls');
    headline =
      `the node tried ${tried(mirrors)}: it does not trust ` +
      `${list(bad.map((a) => host(a.reference)))}'s certificate${source !== null ? `; ${src}` : ''}`;
    fix.push(
      `add the mirror's CA to image.config.openshift.io/cluster spec.additionalTrustedCA (a ConfigMap in ` +
        `openshift-config with the key ${host(bad[0]?.reference ?? '').replace(':', '..')})`,
      /HTTP response to HTTPS client/.test(bad[0]?.detail ?? '')
        ? 'the mirror speaks plain HTTP: list it in image.config spec.registrySources.insecureRegistries'
        : "check the certificate covers the mirror's host name",
    );
  } else if (mirrors.some((a) => NETWORK_FAILURES.has(a.outcome))) {
    cause = 'mirror-down';
    const bad = mirrors.filter((a) => NETWORK_FAILURES.has(a.outcome));
    headline =
      `the node could not reach the mirror ` +
      `${list(bad.map((a) => `${host(a.reference)} (${a.outcome})`))}${source !== null ? `; ${src}` : ''}`;
    fix.push(
      `check that the mirror registry ${host(bad[0]?.reference ?? '')} is up and ` +
        `reachable from ${where} (service, DNS, firewall, proxy noProxy)`,
    );
  } else if (mirrors.some((a) => a.outcome === 'rate-limited') || source?.outcome === 'rate-limited') {
    cause = 'rate-limited';
    headline =
      `the node was rate-limited (429 too many requests) by ` +
      `${list(attempts.filter((a) => a.outcome === 'rate-limited').map((a) => host(a.reference)))}` +
      (source !== null && source.outcome !== 'rate-limited' ? `; ${src}` : '');
    fix.push(
      'mirror the image to a registry without a pull limit, or add ' +
        'credentials for the registry to the pull secret (higher limits)',
    );
  } else if (mirrors.every((a) => a.outcome === 'manifest-unknown')) {
    cause = 'not-mirrored';
    headline =
      `the node tried ${mirrors.length === 1 ? 'mirror' : 'mirrors'} ` +
      `${list(mirrors.map((a) => repoOf(a.reference)))}: manifest unknown, so the image was never mirrored ` +
      `there${source !== null ? `; ${src}` : ''}`;
    fix.push(
      `mirror it with oc-mirror: add ${repoOf(source?.reference ?? i.image)} to the ` +
        `ImageSetConfiguration and run oc-mirror again (or \`oc image ` +
        `mirror ${source?.reference ?? i.image} ${repoOf(mirrors[0]?.reference ?? '')}\`)`,
      'check the mirror path matches the ICSP/IDMS mirror (a repository under another path is "manifest unknown" too)',
    );
  } else {
    cause = 'unknown';
    headline = `every candidate failed on ${where}: ${tried(attempts)}`;
    fix.push(`run the live check on ${where} for the full debug log`);
  }
  if (i.nodePlan !== null && evidence.verdict.code === 'plan-mismatch') facts.push(`note: ${evidence.verdict.summary}`);
  if (read.event.criClass !== null) facts.push(`CRI-O classed the error ${read.event.criClass}`);
  return {
    image: i.image,
    cause,
    headline,
    fix,
    facts,
    evidence,
    event: read.event,
    mirrors: [...new Set(mirrors.map((a) => host(a.reference)))],
  };
}
