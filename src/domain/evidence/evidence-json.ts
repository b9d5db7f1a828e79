// The stable JSON of `icsp evidence --json` (documented in docs/evidence-json.md). Field names and meanings
// only ever gain members; a breaking change bumps schemaVersion.
import type { ResolveResult } from '../pull-source.ts';
import type { AttemptOutcome, ForeignBlob, LogStats, LogTool, PullEvidence, ServedImage } from './evidence-types.ts';
import type { EventContext } from './event-parser.ts';
import type { Judgement, EvidenceVerdictCode } from './evidence-verdict.ts';

// 2: a refused connection is `connection-refused`, no longer `unreachable` (a change in meaning of that value)
export const EVIDENCE_SCHEMA_VERSION = 2;

export interface EvidenceJsonAttempt {
  walk: number;
  reference: string;
  location: string;
  mirror: boolean;
  outcome: AttemptOutcome;
  detail: string;
  lines: number[];
  credentials: 'found' | 'none' | null;
  planned: boolean | null;
}

export interface EvidenceJsonPlanEntry {
  reference: string;
  location: string;
  mirror: boolean;
  blocked: boolean;
}

export interface EvidenceJson {
  schemaVersion: typeof EVIDENCE_SCHEMA_VERSION;
  tool: LogTool;
  image: string | null;
  configFiles: string[];
  attempts: EvidenceJsonAttempt[];
  served: ServedImage | null;
  blobsFromOtherSources: ForeignBlob[];
  finalError: string | null;
  credentialNotes: string[];
  retries: number;
  /** The policy.json decision podman logged: identity judged and deciding scope (null: default); null if not logged. */
  policyCheck: { identity: string; section: string | null } | null;
  plan: EvidenceJsonPlanEntry[] | null;
  verdict: { code: EvidenceVerdictCode; summary: string; details: string[] };
  stats: LogStats & { bytes: number; truncatedLines: number };
  /** What the kubelet said (tool "kubelet": an event, waiting message or describe paste); null for logs. */
  event: EventContext | null;
}

export interface EvidenceJsonInput {
  evidence: PullEvidence;
  judgement: Judgement;
  plan: ResolveResult | null;
  /** The image asked about (--image), else the log's own logical reference. */
  image: string | null;
  bytes: number;
  truncatedLines: number;
  event?: EventContext | null;
}

export function toEvidenceJson(i: EvidenceJsonInput): EvidenceJson {
  const e = i.evidence;
  return {
    schemaVersion: EVIDENCE_SCHEMA_VERSION,
    tool: e.tool,
    image: i.image ?? e.logicalReference,
    configFiles: e.configFiles,
    attempts: i.judgement.attempts.map((a) => ({
      walk: a.walk,
      reference: a.reference,
      location: a.location,
      mirror: a.mirror,
      outcome: a.outcome,
      detail: a.detail,
      lines: a.lines,
      credentials: a.credentials,
      planned: a.planned,
    })),
    served: e.served,
    blobsFromOtherSources: e.blobsFromOtherSources,
    finalError: e.finalError,
    credentialNotes: e.credentialNotes,
    retries: e.retries,
    policyCheck: e.policyCheck ?? null,
    plan:
      i.plan === null
        ? null
        : i.plan.pullSources.map((s) => ({
            reference: s.reference,
            location: s.location,
            mirror: s.mirror,
            blocked: s.blocked,
          })),
    verdict: {
      code: i.judgement.verdict.code,
      summary: i.judgement.verdict.summary,
      details: i.judgement.verdict.details,
    },
    stats: { ...e.stats, bytes: i.bytes, truncatedLines: i.truncatedLines },
    event: i.event ?? null,
  };
}
