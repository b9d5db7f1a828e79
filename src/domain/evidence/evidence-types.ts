// What a pull log shows, as read by PodmanLogParser: facts only, before any comparison with a plan.

export const ATTEMPT_OUTCOMES = [
  'served',
  'manifest-unknown',
  'unauthorized',
  'forbidden',
  'tls',
  // "connect: connection refused": the host answered, nothing listens on that port (registry down, wrong port)
  'connection-refused',
  // other network failures: no route to host, network unreachable, connection reset, EOF
  'unreachable',
  'dns',
  'timeout',
  'blocked',
  'other',
  // served the manifest, then /etc/containers/policy.json rejected the image ("Source image rejected: ...")
  'rejected-by-policy',
  // read from kubelet events / CRI-O errors (also possible in logs): 429, short-name mode
  'rate-limited',
  'short-name-ambiguous',
] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/** 'kubelet': the text of a kubelet event or a container's waiting message (CRI-O's error, wrapped). */
export type LogTool = 'podman' | 'skopeo' | 'cri-o' | 'kubelet' | 'unknown';

export interface ObservedAttempt {
  /** 1-based; podman repeats the whole walk on retryable errors ("Failed, retrying in ..."). */
  walk: number;
  /** The physical reference from `Trying to access "..."` (mirror or source, rewritten). */
  reference: string;
  outcome: AttemptOutcome;
  /** The error in the tool's (and registry's) own words; "" when served. */
  detail: string;
  /** 1-based line numbers of the evidence: `Trying to access`, ping error, manifest type, `Accessing ... failed`. */
  lines: number[];
  /** Credential lookup for this candidate: found in a file/helper, none found, or not logged. */
  credentials: 'found' | 'none' | null;
}

export interface ServedImage {
  reference: string;
  /** Manifest digest: from the reference, else from the signature lookaside path, image metadata or inspect output. */
  digest: string | null;
}

export interface ForeignBlob {
  digest: string;
  /** host/repository the blob was fetched from. */
  source: string;
}

export interface LogStats {
  lines: number;
  /** Lines with logrus framing (text or TTY). */
  framedLines: number;
  debugLines: number;
  /** Lines that carried pull evidence (attempts, config files, credentials, errors, progress). */
  evidenceLines: number;
  /** Attempts of older walks dropped to bound memory (the most recent walks are kept). */
  droppedAttempts: number;
}

export interface PullEvidence {
  tool: LogTool;
  /** The reference the user asked for (podman's `Trying to pull`, `Attempting to pull candidate`, ...). */
  logicalReference: string | null;
  configFiles: string[];
  attempts: ObservedAttempt[];
  served: ServedImage | null;
  blobsFromOtherSources: ForeignBlob[];
  finalError: string | null;
  credentialNotes: string[];
  /**
   * The policy.json check podman logged (debug): the identity judged (the logical reference, never the mirror) and
   * the scope that decided (null: the default section). Absent when the log has none.
   */
  policyCheck?: { identity: string; section: string | null };
  /** Count of `Failed, retrying in` warnings. */
  retries: number;
  /** `Found image ... in local containers storage` before any registry access. */
  localImageFound: boolean;
  /** Non-debug progress lines of a pull (`Trying to pull`, `Copying blob`) were seen. */
  pullProgressSeen: boolean;
  stats: LogStats;
}
