// The port between chat (or CLI) and live checks on nodes. The cluster adapter implements it; Slack and the
// CLI only call it. Pure types: no Kubernetes or Slack import here.
import type { EvidenceJson } from '../domain/evidence/evidence-json.ts';
import type { Explanation } from '../domain/explain.ts';
import type { NodeShortName } from '../domain/short-name-node.ts';
import type { LiveVerdict, LiveVerdictCode } from '../domain/live-verdict.ts';
import type { NodeSelection } from '../domain/node-selection.ts';
import type { ParsedReference } from '../domain/parsed-reference.ts';
import type { ConfigDifference } from '../domain/registries-diff.ts';
import type { PolicySet } from '../domain/policy-set.ts';
import type { RenderOptions } from '../domain/render.ts';

export type { NodeSelection };

export interface LiveCheckRequest {
  /** A reference that already passed the grammar (parsePullReference). */
  image: string;
  /** The same, parsed: when given, not parsed again. */
  reference?: ParsedReference;
  selection: NodeSelection;
  /** Who asked, for the audit log. */
  requestedBy: string;
  /** The plan the requester was shown: the check reports it and judges the nodes against its generation. */
  plan?: PlanSnapshot;
}

/** One answer's plan and the policy generation it came from. */
export interface PlanSnapshot {
  generation: number;
  explanation: Explanation;
}

/** A plan whose generation stays available (for the live check that follows) until release(). */
export interface HeldPlan extends PlanSnapshot {
  release(): void;
}

export type { ConfigDifference };

export type { LiveVerdictCode };

export interface NodeCheckResult {
  node: string;
  verdict: LiveVerdict;
  evidence: EvidenceJson | null;
  /** Raw podman debug log, for upload. */
  log: string;
  /** The node's /etc/containers/registries.conf (and drop-ins, concatenated with headers). */
  nodeRegistriesConf: string | null;
  configDifferences: ConfigDifference[];
  durationMs: number;
  /** Set when the check could not run (node NotReady, image pull of the debug image failed, forbidden...). */
  error?: string;
  /** For a short name: how this node's CRI-O resolves it (mode from crio.conf / CRI-O version, candidates, error). */
  shortName?: NodeShortName | null;
}

export interface LiveCheckResult {
  cluster: string;
  plan: Explanation;
  nodes: NodeCheckResult[];
}

export interface LiveChecker {
  /** Runs the podman check on the selected nodes; rejects with a one-line Error for unknown node/pool etc. */
  check(req: LiveCheckRequest, signal?: AbortSignal): Promise<LiveCheckResult>;
}

/** Where the bot gets the policies it explains from: the live cluster, or files (offline mode). */
export interface PolicySource {
  /** A label for messages: the cluster's name or "offline (files)". */
  readonly cluster: string;
  explain(image: string): Promise<Explanation>;
  /** The policy objects behind explain() and how they are rendered: for the fix's proof. */
  fixContext?(): Promise<{ policies: PolicySet; render?: RenderOptions }>;
  /** The plan from the current policy generation, held until release(); without it, explain() is used. */
  plan?(reference: ParsedReference): Promise<HeldPlan>;
}
