// The CPU-heavy part of a Slack what-if, as one function of plain data: the proposed YAML parsed, the what-if
// computed against the cluster's state, and the Slack answer formatted (verdict, report, what-if.json, the full
// text when the report is cut). The bot runs it in a worker thread (what-if-worker.ts) so it never holds the event
// loop that acks Slack; the in-process engine here serves tests and callers with nothing else to answer.
import { parsePolicyDocuments } from '../domain/policy-documents.ts';
import type { ObjectKey } from '../domain/policy-overlay.ts';
import { whatIf } from '../domain/what-if.ts';
import { formatWhatIf, whatIfJson } from '../domain/what-if-report.ts';
import type { PolicyObject } from '../types/openshift.ts';
import type { WhatIfClusterState } from '../ports/what-if.ts';
import type { FittedMessage } from './blocks.ts';
import { whatIfMessage, whatIfReport } from './what-if-answers.ts';

/** Proposed YAML as received: the pasted snippet and the attached files' text. */
export interface ProposedText {
  name: string;
  text: string;
}

/** Everything one what-if needs; plain data (structured-clone safe). */
export interface WhatIfJob {
  cluster: string;
  texts: ProposedText[];
  remove: ObjectKey[];
  state: WhatIfClusterState;
}

/** The answer ready to post; plain data (structured-clone safe). */
export interface WhatIfAnswer {
  head: FittedMessage;
  report: FittedMessage;
  /** what-if.json. */
  json: string;
  /** The full report as what-if.txt when the report in the thread is cut; else null. */
  fullText: string | null;
}

/** Computes what-if answers. Rejections: EngineError for bad input (as parsePolicyDocuments throws it). */
export interface WhatIfEngine {
  /** Parses the proposed YAML only (before the cluster is read); rejects with the EngineError of the first bad text. */
  check(texts: ProposedText[]): Promise<void>;
  answer(job: WhatIfJob): Promise<WhatIfAnswer>;
  close(): Promise<void>;
}

/** The proposed objects of all texts; oc-mirror's other kinds become notes. Throws EngineError on bad YAML. */
export function parseProposed(texts: readonly ProposedText[]): { proposed: PolicyObject[]; notes: string[] } {
  const proposed: PolicyObject[] = [];
  const notes: string[] = [];
  for (const t of texts) {
    const parsed = parsePolicyDocuments(t.text, t.name);
    proposed.push(...parsed.objects);
    for (const w of parsed.warnings)
      notes.push(w.replace(/^(.*): skipped (\S+): not a kind icsp reads.*$/, '$1: ignored $2 (not a mirror object)'));
  }
  return { proposed, notes };
}

export function computeWhatIfAnswer(job: WhatIfJob): WhatIfAnswer {
  const { proposed, notes } = parseProposed(job.texts);
  const { state } = job;
  const r = whatIf({
    current: state.policies,
    proposed,
    remove: job.remove,
    images: state.images,
    ...(state.pools.length > 0 ? { pools: state.pools } : {}),
    machineConfiguration: state.machineConfiguration,
  });
  r.notes.unshift(...notes, ...state.notes);
  const report = whatIfReport(job.cluster, r);
  return {
    head: whatIfMessage(job.cluster, r),
    report,
    json: JSON.stringify(whatIfJson(r), null, 2),
    fullText: report.truncated ? formatWhatIf(r) : null,
  };
}

/** On this thread: for tests and the bench's comparison (the bot uses WorkerWhatIfEngine). */
export class InProcessWhatIfEngine implements WhatIfEngine {
  async check(texts: ProposedText[]): Promise<void> {
    parseProposed(texts);
  }
  async answer(job: WhatIfJob): Promise<WhatIfAnswer> {
    return computeWhatIfAnswer(job);
  }
  async close(): Promise<void> {}
}
