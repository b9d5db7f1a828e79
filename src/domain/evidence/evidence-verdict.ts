// Compares what a node did (PullEvidence) with what the engine predicts (a ResolveResult) and says it in one
// verdict. Pure: the plan is an input, however it was computed.
import type { ResolveResult } from '../pull-source.ts';
import type { ObservedAttempt, PullEvidence } from './evidence-types.ts';
import { NO_OUTCOME_END, referenceName, SOURCE_IMAGE_REJECTED } from './podman-log-parser.ts';

export const VERDICT_CODES = [
  'mirror-hit',
  'source-fallback',
  'plan-mismatch',
  'all-failed',
  'no-attempts',
  'rejected-by-policy',
] as const;
export type EvidenceVerdictCode = (typeof VERDICT_CODES)[number];

export interface Verdict {
  code: EvidenceVerdictCode;
  /** One line, for the first line of an answer. */
  summary: string;
  details: string[];
}

export interface JudgedAttempt extends ObservedAttempt {
  /** Endpoint location from the plan; without a plan, the candidate's registry host. */
  location: string;
  mirror: boolean;
  /** Whether the plan lists this candidate; null without a plan. */
  planned: boolean | null;
}

export interface Judgement {
  verdict: Verdict;
  attempts: JudgedAttempt[];
}

export interface JudgeOptions {
  /** The image the user asked about (overrides the log's own logical reference for mirror detection). */
  image?: string | null;
}

function host(ref: string): string {
  const slash = ref.indexOf('/');
  return slash < 0 ? ref : ref.slice(0, slash);
}

function isTagPull(ref: string): boolean {
  return !ref.includes('@');
}

/** A short, human reason for an outcome class, with what usually fixes it. */
export function outcomeHint(a: Pick<ObservedAttempt, 'outcome' | 'detail' | 'credentials' | 'reference'>): string {
  const h = host(a.reference);
  switch (a.outcome) {
    case 'served':
      return 'served the image';
    case 'manifest-unknown':
      return (
        `${h} does not hold this manifest at that path (not mirrored ` +
        `there, or mirrored under another repository path)`
      );
    case 'unauthorized':
      return a.credentials === 'found'
        ? `${h} rejected the credentials that were sent (wrong or expired)`
        : `${h} requires credentials and none were found for it (the node's pull secret must contain ` +
            `the mirror host; podman on a node needs --authfile /var/lib/kubelet/config.json)`;
    case 'forbidden':
      return `${h} denied access to this repository with the credentials sent`;
    case 'tls':
      return /HTTP response to HTTPS client/.test(a.detail)
        ? `${h} speaks plain HTTP; the mirror must be marked insecure for that`
        : `the node does not accept ${h}'s TLS certificate (add its CA to the ` +
            `node's trust, e.g. image.config additionalTrustedCA)`;
    case 'connection-refused':
      return `nothing listens at ${h}: the connection was refused (registry down, or the wrong port)`;
    case 'unreachable':
      return `${h} cannot be reached from the node (no route, network unreachable or connection reset)`;
    case 'dns':
      return `the name ${h.replace(/:\d+$/, '')} does not resolve on the node`;
    case 'timeout':
      return `${h} did not answer in time (firewall dropping packets?)`;
    case 'blocked':
      return 'refused without contacting it: blocked in registries.conf (NeverContactSource or a blocked registry)';
    case 'rate-limited':
      return (
        `${h} refused with "too many requests" (a pull rate limit); ` +
        `mirror the image or authenticate to raise the limit`
      );
    case 'short-name-ambiguous':
      return (
        'a short name with several search registries while short-name mode is ' +
        'enforcing: use the fully qualified name (registry/namespace/name)'
      );
    case 'other':
      // containers/image's ErrV1NotSupported replaces the /v2/ ping's status (docker_client.go:819-860): the
      // kubelet's text cannot say which; a rate-limiting proxy in front of the registry is the usual cause
      if (a.detail.startsWith("can't talk to a V1 container registry"))
        return (
          `${a.detail}: ${h}'s /v2/ ping answered neither 200 nor 401 and /v1/_ping answered, so containers/image ` +
          'reports a V1 registry; usually a proxy in front of the registry refusing /v2/ (429 Too Many Requests ' +
          "from a rate limit, e.g. Quay's nginx, or an error page): the node's debug log (live check) shows " +
          '"Ping https://.../v2/ status N"'
        );
      return a.detail !== '' ? a.detail : 'no outcome logged';
    case 'rejected-by-policy':
      return (
        `${h} served the manifest, then /etc/containers/policy.json rejected the image under the ` +
        `name the pod asked for (image.config allowedRegistries / blockedRegistries)`
      );
  }
}

function describeAttempt(a: JudgedAttempt): string {
  const role = a.mirror ? 'mirror' : 'source';
  const words = a.detail !== '' && a.outcome !== 'other' ? ` [${a.detail}]` : '';
  return `${role} ${a.reference}: ${a.outcome} - ${outcomeHint(a)}${words}`;
}

function groupWalks(attempts: JudgedAttempt[]): JudgedAttempt[][] {
  const walks: JudgedAttempt[][] = [];
  for (const a of attempts) {
    const last = walks[walks.length - 1];
    if (last !== undefined && last[0]?.walk === a.walk) last.push(a);
    else walks.push([a]);
  }
  return walks;
}

function annotate(e: PullEvidence, plan: ResolveResult | null, image: string | null): JudgedAttempt[] {
  const logicalName =
    image !== null ? referenceName(image) : e.logicalReference !== null ? referenceName(e.logicalReference) : null;
  const walks = groupWalks(e.attempts.map((a) => ({ ...a, location: '', mirror: false, planned: null })));
  for (const walk of walks) {
    walk.forEach((a, i) => {
      const p = plan?.pullSources.find((s) => s.reference === a.reference);
      if (p !== undefined) {
        a.location = p.location;
        a.mirror = p.mirror;
        a.planned = true;
        return;
      }
      a.planned = plan === null ? null : false;
      a.location = host(a.reference);
      // the source is always the last candidate of a walk: without the logical name, only position tells
      a.mirror = logicalName !== null ? referenceName(a.reference) !== logicalName : i < walk.length - 1;
    });
  }
  return walks.flat();
}

interface PlanComparison {
  unexpected: string[];
  skipped: string[];
  orderDiffers: boolean;
}

function compareWalk(walk: JudgedAttempt[], planRefs: string[], finished: boolean): PlanComparison {
  const tried = walk.map((a) => a.reference);
  const unexpected = tried.filter((r) => !planRefs.includes(r));
  const servedAt = walk.findIndex((a) => a.outcome === 'served' || a.outcome === 'rejected-by-policy');
  // a served walk stops at the winner; a failed one tries every candidate; a truncated one only a prefix
  const expected =
    servedAt >= 0 ? planRefs.slice(0, servedAt + 1) : finished ? planRefs : planRefs.slice(0, tried.length);
  const skipped = expected.filter((r) => !tried.includes(r));
  const orderDiffers = unexpected.length === 0 && skipped.length === 0 && tried.join('\n') !== expected.join('\n');
  return { unexpected, skipped, orderDiffers };
}

function noAttempts(e: PullEvidence, plan: ResolveResult | null): Verdict {
  const details: string[] = [];
  if (plan !== null && plan.pullSources.length > 0) {
    details.push(
      `the plan predicts ${plan.pullSources.length} ` +
        `candidate(s): ${plan.pullSources.map((s) => s.reference).join(' > ')}`,
    );
  }
  const err = e.finalError;
  let summary: string;
  if (
    e.stats.lines === 0 ||
    (e.stats.lines === 1 &&
      e.stats.framedLines === 0 &&
      e.finalError === null &&
      !e.pullProgressSeen &&
      e.stats.evidenceLines === 0 &&
      e.configFiles.length === 0)
  ) {
    summary =
      e.stats.lines === 0
        ? 'no-attempts: the log is empty'
        : 'no-attempts: the log holds a single line and no pull attempt';
  } else if (e.tool === 'kubelet' && err === null) {
    summary =
      'no-attempts: the kubelet\'s text carries no pull error (only "Back-off ' +
      'pulling image"); kubelets before the cri-client put the error only into the ' +
      "Failed event: paste that event or the pod's `oc describe pod`";
  } else if (err !== null && /rewriting reference/.test(err)) {
    summary =
      "no-attempts: no registry was contacted; the node's registries.conf turns this image into an " +
      'invalid reference (rewriting reference failed), a configuration error, not a network one';
    details.push(`error: ${err}`);
    details.push(
      'typical causes: a mirror location ending in "/" (containers/image before v5.35 keeps the slash), a ' +
        'prefix without port matching host:port, a wildcard prefix with an image host carrying a port',
    );
  } else if (err !== null && /registries configuration|registries\.conf/i.test(err) && !/is blocked in/.test(err)) {
    summary = 'no-attempts: the tool could not load its registries configuration, so no registry was contacted';
    details.push(`error: ${err}`);
  } else if (err !== null) {
    summary = `no-attempts: no registry was contacted; the tool failed first: ${firstLine(err)}`;
    details.push(`error: ${err}`);
  } else if (e.localImageFound) {
    summary = 'no-attempts: the image was already in local storage and no registry was contacted';
  } else if (e.pullProgressSeen && e.stats.debugLines === 0) {
    summary =
      'no-attempts: this pull log has no debug lines; run podman pull ' +
      '--log-level debug to see which candidates were tried';
  } else if (e.stats.framedLines === 0 && e.stats.evidenceLines === 0) {
    summary =
      `no-attempts: not a podman/skopeo debug log: none of ` + `its ${e.stats.lines} lines comes from containers/image`;
  } else {
    summary =
      `no-attempts: ${e.stats.lines} lines (${e.stats.debugLines} ` + `at debug level) but no "Trying to access" line`;
  }
  if (e.configFiles.length > 0) details.push(`registries configuration loaded: ${e.configFiles.join(', ')}`);
  return { code: 'no-attempts', summary, details };
}

function firstLine(s: string): string {
  const nl = s.indexOf('\n');
  const line = nl < 0 ? s : `${s.slice(0, nl)} …`;
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

export function judgeEvidence(e: PullEvidence, plan: ResolveResult | null, opts: JudgeOptions = {}): Judgement {
  const image = opts.image ?? null;
  const attempts = annotate(e, plan, image);
  const rejection = policyRejectionOf(e);
  if (attempts.length === 0)
    return { verdict: rejection !== null ? rejectedByPolicy(e, null, rejection, []) : noAttempts(e, plan), attempts };

  const walks = groupWalks(attempts);
  const last = walks[walks.length - 1] ?? [];
  const details: string[] = [];
  if (image !== null && e.logicalReference !== null && referenceName(image) !== referenceName(e.logicalReference)) {
    details.push(`note: the log pulled ${e.logicalReference}, the question is about ${image}`);
  }

  // 1. plan comparison first: a node that walks another list is the answer, whatever it served
  if (plan !== null) {
    const planRefs = plan.pullSources.map((s) => s.reference);
    const unexpected = new Set<string>();
    const skipped = new Set<string>();
    let orderDiffers = false;
    walks.forEach((w, i) => {
      const finished =
        i < walks.length - 1 ||
        e.finalError !== null ||
        w.some((a) => a.outcome === 'served' || a.outcome === 'rejected-by-policy') ||
        w[w.length - 1]?.outcome !== 'other';
      const c = compareWalk(w, planRefs, finished);
      c.unexpected.forEach((r) => unexpected.add(r));
      c.skipped.forEach((r) => skipped.add(r));
      orderDiffers ||= c.orderDiffers;
    });
    if (unexpected.size > 0 || skipped.size > 0 || orderDiffers) {
      const skippedMirrors = plan.pullSources.filter((s) => s.mirror && skipped.has(s.reference));
      let summary: string;
      if (skippedMirrors.length > 0 && unexpected.size === 0) {
        summary =
          `plan-mismatch: the node never tried your mirror ` +
          `${skippedMirrors.map((s) => s.location).join(', ')}: its registries.conf does not have it yet ` +
          `(or differs from the policies)`;
      } else if (unexpected.size > 0) {
        summary =
          `plan-mismatch: the node tried ${[...unexpected].join(', ')}, which the ` +
          `policies do not predict: its registries.conf differs from the policies`;
      } else if (skipped.size > 0) {
        summary =
          `plan-mismatch: the node skipped ${[...skipped].join(', ')}, which the ` +
          `policies predict: its registries.conf differs from the policies`;
      } else {
        summary =
          'plan-mismatch: the node tried the predicted candidates in another ' +
          'order: its registries.conf differs from the policies';
      }
      details.push(`tried:     ${last.map((a) => a.reference).join(' > ')}`);
      details.push(`predicted: ${planRefs.join(' > ') || '(no candidate)'}`);
      for (const r of unexpected) details.push(`not in the plan: ${r}`);
      for (const r of skipped) details.push(`predicted but not tried: ${r}`);
      details.push(...last.map(describeAttempt));
      if (e.configFiles.length > 0)
        details.push(`registries configuration the node loaded: ${e.configFiles.join(', ')}`);
      return { verdict: { code: 'plan-mismatch', summary, details }, attempts };
    }
  }

  // 2. outcome of the last walk (earlier walks are retries of the same pull)
  const rejectedAt = last.find((a) => a.outcome === 'rejected-by-policy');
  if (rejection !== null || rejectedAt !== undefined) {
    return {
      verdict: rejectedByPolicy(
        e,
        rejectedAt ?? null,
        rejection ?? rejectedAt?.detail ?? '',
        last.filter((a) => a !== rejectedAt).map(describeAttempt),
      ),
      attempts,
    };
  }
  const served = last.find((a) => a.outcome === 'served');
  const failedMirrors = last.filter((a) => a.mirror && a.outcome !== 'served');
  if (e.retries > 0 || walks.length > 1)
    details.push(`the whole walk ran ${walks.length} time(s) (${e.retries} retry warning(s))`);
  if (served !== undefined) {
    const digest =
      e.served?.reference === served.reference && e.served.digest !== null ? ` (digest ${e.served.digest})` : '';
    let code: EvidenceVerdictCode;
    let summary: string;
    if (served.mirror) {
      code = 'mirror-hit';
      summary = `mirror-hit: mirror ${served.location} served ${served.reference}${digest}`;
      if (failedMirrors.length > 0) summary += ` after ${failedMirrors.length} mirror(s) failed`;
    } else {
      code = 'source-fallback';
      if (failedMirrors.length > 0) {
        summary =
          `source-fallback: the source served ${served.reference}${digest}; every mirror ` +
          `failed: ${failedMirrors.map((a) => `${host(a.reference)} (${a.outcome})`).join(', ')}`;
      } else {
        summary = `source-fallback: the source served ${served.reference}${digest}; no mirror was a candidate`;
        const tag = isTagPull(served.reference);
        if (plan !== null && plan.matchedPrefix === null)
          details.push('no [[registry]] entry matches this image: mirrors do not apply to it');
        else if (tag)
          details.push(
            'this was a tag pull: ICSP/IDMS mirrors are digest-only and never ' +
              'serve tags (pull by digest, or use an ImageTagMirrorSet)',
          );
        else
          details.push(
            'a digest pull with no mirror candidate: the matching entry ' +
              'has no digest mirror (ITMS mirrors are tag-only)',
          );
      }
    }
    details.push(...last.filter((a) => a !== served).map(describeAttempt));
    for (const b of e.blobsFromOtherSources)
      details.push(`blob ${b.digest} came from ${b.source}, not from the candidate that served the manifest`);
    if (e.finalError !== null) details.push(`but the command then failed: ${firstLine(e.finalError)}`);
    return { verdict: { code, summary, details }, attempts };
  }

  const cut = last[last.length - 1];
  const summary =
    cut !== undefined && cut.detail.startsWith(NO_OUTCOME_END)
      ? `all-failed: no candidate is shown serving the image; the log ends ` +
        `while ${cut.reference} was being tried (truncated log?)` +
        (cut.outcome === 'rate-limited'
          ? ' after it answered 429 Too Many Requests: without Retry-After containers/image backs off ' +
            '2+4+8+16 s per request, which a time-bounded check can cut'
          : '')
      : `all-failed: every candidate failed (${last.length} ` +
        `tried): ${last.map((a) => `${host(a.reference)} ${a.outcome}`).join(', ')}`;
  details.push(...last.map(describeAttempt));
  if (e.finalError !== null) details.push(`final error: ${e.finalError}`);
  return { verdict: { code: 'all-failed', summary, details }, attempts };
}

/** "Source image rejected: ..." from the tool's final error, first line only. */
function policyRejectionOf(e: PullEvidence): string | null {
  const err = e.finalError;
  const at = err === null ? -1 : err.indexOf(SOURCE_IMAGE_REJECTED);
  return at < 0 ? null : firstLine(err!.slice(at));
}

function rejectedByPolicy(e: PullEvidence, at: JudgedAttempt | null, message: string, others: string[]): Verdict {
  const where =
    at === null
      ? 'a pull source served the manifest'
      : `${at.mirror ? 'mirror' : 'source'} ${at.location} served the manifest (${at.reference})`;
  const name = e.logicalReference !== null ? ` (${e.logicalReference})` : '';
  return {
    code: 'rejected-by-policy',
    summary:
      `rejected-by-policy: ${where}, then /etc/containers/policy.json rejected ` +
      `the image under the name the pod asked for${name}: ${message}`,
    details: [
      ...others,
      'policy.json judges the logical name, never the mirror: the MCO writes it from ' +
        'image.config spec.registrySources allowedRegistries / blockedRegistries (`icsp ' +
        'why IMAGE --policies ...` names the field and the fix)',
    ],
  };
}
