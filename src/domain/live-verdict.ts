// One node's verdict from a live check (pure): the pod's output (the node's registries.conf files, podman's
// debug log, the summary line) read against two plans — the node's OWN registries.conf (did podman do what the
// file says?) and the render of the live policies (does the node have what the policies say?) — plus the
// mirror-level differences between the two files.
import { EngineError } from './engine-error.ts';
import type { CheckOutput } from './debug-pod.ts';
import { toEvidenceJson } from './evidence/evidence-json.ts';
import type { EvidenceJson } from './evidence/evidence-json.ts';
import { judgeEvidence } from './evidence/evidence-verdict.ts';
import type { Judgement } from './evidence/evidence-verdict.ts';
import type { ObservedAttempt, PullEvidence } from './evidence/evidence-types.ts';
import { LineSplitter } from './evidence/line-splitter.ts';
import { PodmanLogParser } from './evidence/podman-log-parser.ts';
import type { ResolveResult } from './pull-source.ts';
import { confFromEntries, parseRegistriesConf } from './registries-conf.ts';
import type { RegistriesConf } from './registries-conf.ts';
import { diffRegistries } from './registries-diff.ts';
import type { RenderOrIntent } from './render-or-intent.ts';
import { resolve } from './resolve.ts';
import type { ConfigDifference } from './registries-diff.ts';

/** Every verdict of a live check on one node. */
export const LIVE_VERDICT_CODES = [
  'mirror-hit',
  'source-fallback',
  'plan-mismatch',
  'all-failed',
  'no-attempts',
  'rejected-by-policy',
  'rate-limited',
  'check-failed',
] as const;
export type LiveVerdictCode = (typeof LIVE_VERDICT_CODES)[number];

/** One node's verdict: a code, a one-line summary and the reasons behind it. */
export interface LiveVerdict {
  code: LiveVerdictCode;
  summary: string;
  reasons: string[];
}

export const NODE_REGISTRIES_CONF = '/etc/containers/registries.conf';

export interface LiveJudgeInput {
  node: string;
  /** The validated reference (refString of parsePullReference). */
  reference: string;
  output: CheckOutput;
  /** What the MCO would write from the live policies: once per policy generation (expectedFrom), not per node. */
  expected: ExpectedConfiguration;
  /** The node's machine-config annotations, to tell "still updating" from "never got it". */
  mco?: { current?: string; desired?: string; state?: string };
  /** Said first in the reasons (unschedulable node, stale policies, ...). */
  notes?: string[];
  /** The check was stopped before podman finished (its deadline): why, in one line. The log is read as it got. */
  cutOff?: string;
}

export interface LiveJudgement {
  verdict: LiveVerdict;
  evidence: EvidenceJson | null;
  /** The node's /etc/containers/registries.conf (and drop-ins, concatenated with headers). */
  nodeRegistriesConf: string | null;
  configDifferences: ConfigDifference[];
  /** Whether podman's pull succeeded on the node. */
  pulled: boolean;
}

/** The node's files concatenated, each under a header, for humans and uploads. */
export function concatConfFiles(files: CheckOutput['confFiles']): string | null {
  if (files.length === 0) return null;
  return files.map((f) => `# ==> ${f.name} <==\n${f.toml}`).join('\n');
}

export function parseEvidence(log: string): { evidence: PullEvidence; bytes: number; truncatedLines: number } {
  const parser = new PodmanLogParser();
  const splitter = new LineSplitter((line) => parser.push(line));
  const buf = Buffer.from(log);
  splitter.push(buf);
  splitter.end();
  return { evidence: parser.finish(), bytes: buf.length, truncatedLines: splitter.truncatedLines };
}

export interface ExpectedConfiguration {
  /** The render, post-processed as containers/image loads a file (like the node's); null when it cannot render. */
  conf: RegistriesConf | null;
  /** The MCO's validation error, when it refuses the policies. */
  refusal: string | null;
  note: string | null;
}

/**
 * The registries.conf the MCO would write from the live policies, or why it refuses them: renderOrIntent's outcome
 * (refused: what the policies intend, lenient as explain's plan, and the refusal), once per policy generation
 * (buildGeneration); `conf` when the caller has confFromEntries of the render already (the generation's basis).
 */
export function expectedFrom(outcome: RenderOrIntent, conf?: RegistriesConf): ExpectedConfiguration {
  const r = outcome.render;
  return {
    conf: r === null ? null : (conf ?? confFromEntries(r.registries)),
    refusal: outcome.error,
    note: !outcome.refused && !outcome.render.rendered ? (outcome.render.reason ?? null) : null,
  };
}

function safeResolve(conf: RegistriesConf, ref: string): { plan: ResolveResult | null; error: string | null } {
  try {
    return { plan: resolve(conf, ref), error: null };
  } catch (e) {
    if (!(e instanceof EngineError)) throw e;
    return { plan: null, error: e.message };
  }
}

const failed = (summary: string, reasons: string[]): LiveJudgement['verdict'] => ({
  code: 'check-failed',
  summary,
  reasons,
});

/** What containers/image and podman do with a 429 and why a check can end during it (measured in the lab). */
const RATE_LIMIT_BACKOFF =
  'without Retry-After, containers/image retries a 429 up to 5 times per request (2, 4, 8, 16 s apart) and podman ' +
  'repeats a rate-limited pull up to 3 times: about 124 s for a rate-limited source, longer than the default ' +
  '120 s deadline (ICSP_DEBUG_DEADLINE_SECONDS); CRI-O pulls with the same containers/image, so each of its ' +
  'pulls backs off per request too and pods see ErrImagePull / ImagePullBackOff: `why pod` reads the cause from the ' +
  "kubelet's events without a debug pod";

/** The candidate podman tried last, when it failed on a 429: the cause the pull ends (or ended) with. */
function lastRateLimited(ev: PullEvidence): ObservedAttempt | null {
  const last = ev.attempts[ev.attempts.length - 1];
  return ev.served === null && last?.outcome === 'rate-limited' ? last : null;
}

function registryHost(reference: string): string {
  return reference.split('/')[0] ?? reference;
}

export function judgeLive(i: LiveJudgeInput): LiveJudgement {
  const notes = [...(i.notes ?? [])];
  const nodeRegistriesConf = concatConfFiles(i.output.confFiles);
  const { evidence: ev, bytes, truncatedLines } = parseEvidence(i.output.podmanLog);

  // The node's own configuration, as containers/image loads it (main file, then drop-ins by name).
  let nodeConf: RegistriesConf | null = null;
  let nodeConfError: string | null = null;
  const main = i.output.confFiles.find((f) => f.name === NODE_REGISTRIES_CONF);
  try {
    nodeConf = parseRegistriesConf(
      main?.toml ?? '',
      i.output.confFiles.filter((f) => f !== main),
      NODE_REGISTRIES_CONF,
    );
  } catch (e) {
    if (!(e instanceof EngineError)) throw e;
    nodeConfError = e.message;
  }
  const expected = i.expected;
  const expectedConf = expected.conf;
  const configDifferences: ConfigDifference[] =
    expectedConf !== null && nodeConf !== null
      ? diffRegistries(expectedConf.registries, nodeConf.registries, 'node')
      : [];

  const nodePlan = nodeConf !== null ? safeResolve(nodeConf, i.reference) : { plan: null, error: null };
  const policyPlan = expectedConf !== null ? safeResolve(expectedConf, i.reference) : { plan: null, error: null };
  const byNode = judgeEvidence(ev, nodePlan.plan, { image: i.reference });
  const byPolicies: Judgement | null =
    policyPlan.plan !== null ? judgeEvidence(ev, policyPlan.plan, { image: i.reference }) : null;
  const evidence: EvidenceJson = toEvidenceJson({
    evidence: ev,
    judgement: byNode,
    plan: nodePlan.plan,
    image: i.reference,
    bytes,
    truncatedLines,
  });
  const pulled = i.output.summary?.pullExit === 0 || ev.served !== null;

  // The differences that bear on this image: the entries either plan matched.
  const relevantSources = new Set(
    [nodePlan.plan?.matchedPrefix, policyPlan.plan?.matchedPrefix].filter((p): p is string => typeof p === 'string'),
  );
  const relevant = configDifferences.filter((d) => relevantSources.has(d.source));
  const others = configDifferences.length - relevant.length;

  const context: string[] = [];
  if (expected.refusal !== null)
    context.push(
      `the MCO refuses the live policies (${expected.refusal}): none of them reaches any node, nodes keep ` +
        `their previous registries.conf (the error shows only in the machine-config-controller log)`,
    );
  if (expected.note !== null) context.push(`${expected.note}`);
  if (nodeConfError !== null)
    context.push(`the node's registries.conf does not load (${nodeConfError}): podman and CRI-O fail on it too`);
  if (nodePlan.error !== null)
    context.push(
      `from the node's own registries.conf this pull fails before any registry is contacted: ${nodePlan.error}`,
    );
  if (i.output.summary !== null) {
    const s = i.output.summary;
    context.push(
      s.presentBefore
        ? "the image was already in the node's storage before the check and was left there"
        : s.removed
          ? 'the image was not on the node before the check and was removed after it'
          : 'the image was not on the node before the check',
    );
  }
  const tail = [
    ...relevant.map((d) => d.message),
    ...(others > 0
      ? [
          `${others} other difference(s) between the node's registries.conf and ` +
            `the policies, for other sources (see configDifferences)`,
        ]
      : []),
    ...context,
  ];

  const limited = lastRateLimited(ev);
  if (i.output.summary === null && i.cutOff !== undefined && limited !== null) {
    // Stopped while podman was backing off from a 429: the cause is known, the check did not fail; it only ended
    // before podman gave up (the node's own pulls back off the same way).
    const host = registryHost(limited.reference);
    return {
      verdict: {
        code: 'rate-limited',
        summary:
          `${i.node} is rate-limited by ${host}: it answered 429 Too Many Requests and podman was still backing ` +
          `off when the check was stopped (${i.cutOff})`,
        reasons: [...notes, ...byNode.verdict.details, RATE_LIMIT_BACKOFF, ...tail],
      },
      evidence,
      nodeRegistriesConf,
      configDifferences,
      pulled: false,
    };
  }
  if (i.output.summary === null) {
    return {
      verdict: failed(`the check on ${i.node} did not complete: its output has no summary line (cut off?)`, [
        ...notes,
        ...byNode.verdict.details.slice(0, 5),
        ...tail,
      ]),
      evidence,
      nodeRegistriesConf,
      configDifferences,
      pulled,
    };
  }

  let code: LiveVerdictCode;
  let summary: string;
  let reasons: string[];
  if (byPolicies !== null && byPolicies.verdict.code === 'plan-mismatch' && byNode.verdict.code !== 'plan-mismatch') {
    // The node did what its own file says, and its file is not what the policies render.
    code = 'plan-mismatch';
    const lacks = relevant.filter((d) => d.kind === 'missing-mirror' || d.kind === 'missing-entry');
    let why: string;
    if (expected.refusal !== null)
      why = 'the MCO did not accept the policies, so the node keeps its old registries.conf';
    else if (i.mco?.desired !== undefined && i.mco.current !== undefined && i.mco.desired !== i.mco.current) {
      why =
        `the rollout has not reached this node yet: it is updating from ${i.mco.current} ` +
        `to ${i.mco.desired}${i.mco.state ? ` (state ${i.mco.state})` : ''}`;
    } else {
      why =
        'the rollout has not reached this node (or the MCO has not rendered the change: ' +
        "check the pool's rendered config and the machine-config-controller log)";
    }
    summary =
      lacks.length > 0
        ? `${i.node} never tried an expected mirror: ${lacks.map((d) => d.message).join('; ')}: ${why}`
        : `${i.node} did not walk the plan the live policies predict (its ` +
          `registries.conf differs from their render): ${why}`;
    reasons = [
      ...notes,
      byPolicies.verdict.summary,
      ...tail,
      `what the node did: ${byNode.verdict.summary}`,
      ...byNode.verdict.details,
    ];
  } else if (byNode.verdict.code === 'plan-mismatch') {
    code = 'plan-mismatch';
    summary =
      `podman on ${i.node} walked differently from what its own ` +
      `registries.conf predicts (${byNode.verdict.summary})`;
    reasons = [...notes, ...byNode.verdict.details, ...tail];
  } else if (byNode.verdict.code === 'all-failed' && limited !== null) {
    // every candidate failed and the last one (the error the pod sees) on a 429: say the cause first
    code = 'rate-limited';
    const failed = byNode.verdict.summary.replace(/^all-failed: /, '');
    summary = `${i.node} is rate-limited by ${registryHost(limited.reference)}: ${failed}`;
    reasons = [...notes, ...byNode.verdict.details, RATE_LIMIT_BACKOFF, ...tail];
  } else {
    code = byNode.verdict.code;
    summary = byNode.verdict.summary;
    reasons = [...notes, ...byNode.verdict.details, ...tail];
  }
  return { verdict: { code, summary, reasons }, evidence, nodeRegistriesConf, configDifferences, pulled };
}
