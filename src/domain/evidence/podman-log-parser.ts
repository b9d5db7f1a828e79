// Streaming reader of `podman pull --log-level debug`, `skopeo --debug inspect` and CRI-O journal output.
// Fed one line at a time; keeps only bounded state (the most recent walks, capped lists and strings), so the
// memory it needs does not grow with the size of the log.
//
// The mirror walk (containers/image docker/docker_image_src.go): one `Trying to access "<candidate>"` per pull
// source in order; a failed one logs `Accessing "<candidate>" failed: <err>` and the next follows; the one that
// answers the manifest request serves the whole image. podman (libimage) may repeat the whole walk
// ("Failed, retrying in ...").
import { parseLogLine } from './log-line.ts';
import { classifyFailure } from './failure-class.ts';
import { foldLines } from '../error-text.ts';
import type { AttemptOutcome, ForeignBlob, LogTool, ObservedAttempt, PullEvidence } from './evidence-types.ts';

export const PARSER_LIMITS = {
  /** Walks kept (the most recent ones); older attempts are counted in stats.droppedAttempts. */
  walks: 16,
  attemptsPerWalk: 64,
  linesPerAttempt: 8,
  detailChars: 4096,
  finalErrorChars: 16 * 1024,
  configFiles: 64,
  credentialNotes: 64,
  foreignBlobs: 64,
} as const;

const TRYING_ACCESS = 'Trying to access "';
/** containers/image copy: the policy check after the manifest was fetched (copy/single.go). */
export const SOURCE_IMAGE_REJECTED = 'Source image rejected: ';
const ACCESSING = 'Accessing "';
const NO_OUTCOME_NEXT =
  'no failure line for this candidate, but the next one was tried (the log level hides the reason)';
export const NO_OUTCOME_END = "the log ends before this candidate's outcome (truncated log?)";
const NO_OUTCOME_ERR = 'no outcome logged for this candidate before the pull failed';
/**
 * containers/image 5.23.1 docker/docker_client.go detectPropertiesHelper (:807-862): when the /v2/ ping answers
 * neither 200 nor 401 it pings /v1/_ping, and if that answers 200/401 the error becomes ErrV1NotSupported
 * (docker/errors.go:12), replacing the ping's status. Quay's nginx rate-limits /v2 but answers /v1/_ping itself.
 */
const V1_NOT_SUPPORTED = "can't talk to a V1 container registry";

interface OpenAttempt extends ObservedAttempt {
  /** Manifest GET answered with a manifest media type (an error body is application/json). */
  manifestOk: boolean;
  blobGets: number;
  /** The outcome was inferred (no failure line yet); a late failure line may still replace it. */
  provisional: boolean;
  /** `Too many requests to <url>: sleeping for ...`: 429s containers/image is backing off from (up to 5 tries). */
  tooManyRequests: number;
  /** `Ping <url>/v2/ status 429`: the /v2/ ping itself was rate-limited (after its 5 tries). */
  pingRateLimited: boolean;
}

interface CredentialLookup {
  found: string | null;
  searched: string[];
}

function cap(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n)}… [${s.length - n} more characters]`;
}

/** Repository name of a reference (without :tag / @digest). */
export function referenceName(ref: string): string {
  const at = ref.indexOf('@');
  const noDigest = at >= 0 ? ref.slice(0, at) : ref;
  const colon = noDigest.lastIndexOf(':');
  return colon > noDigest.lastIndexOf('/') ? noDigest.slice(0, colon) : noDigest;
}

function isManifestMediaType(mime: string): boolean {
  return /manifest|image\.index|distribution\.manifest/i.test(mime) && !/^application\/json/i.test(mime);
}

const DIGEST_RE = /sha256:[a-f0-9]{64}/;
/** podman's progress lines once a candidate serves the image. */
const COPY_PROGRESS_RE =
  /^(Getting image source signatures|Copying (blob|config) |Writing manifest to image destination|Storing signatures)/;

export class PodmanLogParser {
  private lineNo = 0;
  private framed = 0;
  private debug = 0;
  private evidenceLines = 0;
  private droppedAttempts = 0;
  private podmanMarks = 0;
  private crioMarks = 0;

  private readonly walks: OpenAttempt[][] = [];
  private walkNo = 0;
  /** The current walk can take more attempts (no error/success ended it yet). */
  private walkOpen = false;
  private current: OpenAttempt | null = null;

  private logical: string | null = null;
  private logicalRank = 0;
  private readonly configFiles: string[] = [];
  private readonly credentials = new Map<string, CredentialLookup>();
  private readonly foreignBlobs: ForeignBlob[] = [];
  private retries = 0;
  private localImageFound = false;
  private progress = false;
  private walkSucceeded = false;

  private finalError: string | null = null;
  /** "Source image rejected: ..." seen (final error or podman's per-candidate error), first line. */
  private policyRejection: string | null = null;
  private policyCheck: { identity: string; section: string | null } | null = null;
  private collectingError = false;
  private digestFromSignature: string | null = null;
  private digestFromMetadata: string | null = null;
  private digestFromInspect: string | null = null;
  private digestFromCrio: string | null = null;

  push(raw: string): void {
    this.lineNo++;
    const { level, text } = parseLogLine(raw);
    if (level === null) {
      this.plain(text);
      return;
    }
    this.framed++;
    if (level === 'debug') this.debug++;
    if (this.collectingError) this.collectingError = false;
    if (level === 'fatal') {
      // skopeo's final error
      this.evidenceLines++;
      this.setFinalError(text);
      const m = /^Error parsing image name "docker:\/\/([^"]+)"/.exec(text);
      if (m !== null) this.setLogical(m[1] ?? '', 2);
      this.endWalk('error');
      return;
    }
    this.message(text);
  }

  finish(): PullEvidence {
    this.endWalk('eof');
    if (this.policyRejection !== null) {
      // the candidate that served the manifest is the one the policy rejected (the walk stops there)
      const last = this.walks[this.walks.length - 1] ?? [];
      const served = [...last].reverse().find((a) => a.outcome === 'served');
      if (served !== undefined) {
        served.outcome = 'rejected-by-policy';
        served.detail = cap(this.policyRejection, PARSER_LIMITS.detailChars);
      }
    }
    const attempts = this.walks.flat().map((a): ObservedAttempt => ({
      walk: a.walk,
      reference: a.reference,
      outcome: a.outcome,
      detail: a.detail,
      lines: a.lines,
      credentials: a.credentials,
    }));
    let served: PullEvidence['served'] = null;
    for (let i = attempts.length - 1; i >= 0; i--) {
      const a = attempts[i];
      if (a !== undefined && a.outcome === 'served') {
        const m = /@(sha256:[a-f0-9]{64})$/.exec(a.reference);
        served = {
          reference: a.reference,
          digest:
            m?.[1] ??
            this.digestFromSignature ??
            this.digestFromMetadata ??
            this.digestFromInspect ??
            this.digestFromCrio,
        };
        break;
      }
    }
    const credentialNotes: string[] = [];
    for (const [ref, c] of this.credentials) {
      if (c.found !== null) credentialNotes.push(`Found credentials for ${ref} ${c.found}`);
      else
        credentialNotes.push(
          `No credentials for ${ref} found${c.searched.length > 0 ? ` (searched ${c.searched.join(', ')})` : ''}`,
        );
    }
    let tool: LogTool = 'unknown';
    if (this.podmanMarks > 0) tool = 'podman';
    else if (this.crioMarks > 0) tool = 'cri-o';
    else if (attempts.length > 0 || this.configFiles.length > 0) tool = 'skopeo';
    return {
      tool,
      logicalReference: this.logical,
      configFiles: [...this.configFiles],
      attempts,
      served,
      blobsFromOtherSources: [...this.foreignBlobs],
      finalError: this.finalError,
      credentialNotes,
      retries: this.retries,
      ...(this.policyCheck !== null ? { policyCheck: { ...this.policyCheck } } : {}),
      localImageFound: this.localImageFound,
      pullProgressSeen: this.progress,
      stats: {
        lines: this.lineNo,
        framedLines: this.framed,
        debugLines: this.debug,
        evidenceLines: this.evidenceLines,
        droppedAttempts: this.droppedAttempts,
      },
    };
  }

  // --- plain (unframed) lines: podman's stderr/stdout, skopeo's JSON ---------------------------------------

  private plain(text: string): void {
    if (text.startsWith('Error: ')) {
      this.evidenceLines++;
      this.setFinalError(text.slice('Error: '.length));
      this.collectingError = true;
      this.endWalk('error');
      return;
    }
    if (this.collectingError) {
      // the mirror summary of the final error spans several lines
      if (text.trim() === '') {
        this.collectingError = false;
        return;
      }
      this.finalError = cap(`${this.finalError ?? ''}\n${text}`, PARSER_LIMITS.finalErrorChars);
      return;
    }
    if (text.startsWith('Trying to pull ') && text.endsWith('...')) {
      this.evidenceLines++;
      this.podmanMarks++;
      this.progress = true;
      this.setLogical(text.slice('Trying to pull '.length, -3), 2);
      return;
    }
    if (COPY_PROGRESS_RE.test(text)) {
      this.progress = true;
      this.walkSucceeded = true;
      return;
    }
    // skopeo inspect prints JSON: "Name" is the logical repository, "Digest" the manifest digest
    const json = /^\s*"(Name|Digest)": "([^"]*)"/.exec(text);
    if (json !== null) {
      if (json[1] === 'Name') this.setLogical(json[2] ?? '', 1);
      else if (DIGEST_RE.test(json[2] ?? '')) {
        this.digestFromInspect = json[2] ?? null;
        this.walkSucceeded = true;
      }
      return;
    }
    // TTY framing prints a multi-line message raw: the mirror summary continues on plain lines; ignore them
  }

  // --- framed messages -------------------------------------------------------------------------------------

  private message(text: string): void {
    if (text.startsWith(TRYING_ACCESS)) {
      const end = text.lastIndexOf('"');
      this.startAttempt(
        end > TRYING_ACCESS.length ? text.slice(TRYING_ACCESS.length, end) : text.slice(TRYING_ACCESS.length),
      );
      return;
    }
    if (text.startsWith(ACCESSING)) {
      const sep = text.indexOf('" failed: ', ACCESSING.length);
      if (sep > 0) this.failAttempt(text.slice(ACCESSING.length, sep), text.slice(sep + '" failed: '.length));
      return;
    }
    const cur = this.current;
    if (text.startsWith('GET ')) {
      this.get(text.slice(4));
      return;
    }
    if (text.startsWith('Content-Type from manifest GET is ')) {
      if (cur !== null) {
        cur.manifestOk = isManifestMediaType(text);
        this.addLine(cur);
      }
      return;
    }
    if (text.startsWith('Too many requests to ')) {
      // a 429 being retried: if the log ends during the back-off (~30 s without Retry-After), this is the cause
      this.evidenceLines++;
      if (cur !== null) {
        cur.tooManyRequests++;
        this.addLine(cur);
      }
      return;
    }
    if (text.startsWith('Ping ') && text.includes(' err ')) {
      if (cur !== null && cur.lines.length < 3) this.addLine(cur);
      return;
    }
    if (text.startsWith('Ping ') && text.endsWith('/v2/ status 429')) {
      this.evidenceLines++;
      if (cur !== null) {
        cur.pingRateLimited = true;
        this.addLine(cur);
      }
      return;
    }
    if (text.startsWith('IsRunningImageAllowed for image docker:')) {
      // signature/policy_eval.go: the transport-qualified policy identity, then which section decided
      this.evidenceLines++;
      this.policyCheck = {
        identity: cap(text.slice('IsRunningImageAllowed for image docker:'.length).trim(), 512),
        section: null,
      };
      return;
    }
    if (this.policyCheck !== null && text.startsWith(' Using ') && text.includes('policy section')) {
      const m = /^ Using transport "docker" (?:specific )?policy section "?(.*?)"?$/.exec(text);
      if (m !== null) this.policyCheck.section = cap(m[1] ?? '', 512);
      return;
    }
    if (text.startsWith('Loading registries configuration "')) {
      this.evidenceLines++;
      const path = text.slice('Loading registries configuration "'.length, text.lastIndexOf('"'));
      if (!this.configFiles.includes(path) && this.configFiles.length < PARSER_LIMITS.configFiles)
        this.configFiles.push(path);
      return;
    }
    if (text.startsWith('No credentials ') || text.startsWith('Found credentials for ')) {
      this.credential(text);
      return;
    }
    if (text.startsWith('Failed, retrying in ')) {
      this.evidenceLines++;
      this.retries++;
      this.endWalk('error');
      return;
    }
    if (text.startsWith('Error pulling candidate ')) {
      this.evidenceLines++;
      this.notePolicyRejection(text);
      this.podmanMarks++;
      this.endWalk('error');
      return;
    }
    if (text.startsWith('Pulled candidate ') && text.endsWith(' successfully')) {
      this.evidenceLines++;
      this.podmanMarks++;
      this.walkSucceeded = true;
      this.endWalk('success');
      return;
    }
    if (text.startsWith('Attempting to pull candidate ')) {
      this.podmanMarks++;
      const m = /^Attempting to pull candidate (\S+) for /.exec(text);
      if (m !== null) this.setLogical(m[1] ?? '', 3);
      return;
    }
    if (text.startsWith('Pulling image ')) {
      this.evidenceLines++;
      // podman: "Pulling image X (policy: P)"; CRI-O: "Pulling image: X"
      const crio = text.startsWith('Pulling image: ');
      if (crio) this.crioMarks++;
      else this.podmanMarks++;
      this.endWalk('new-pull');
      this.logicalRank = 0;
      const ref = crio
        ? text.slice('Pulling image: '.length).trim()
        : text.slice('Pulling image '.length).replace(/ \(policy: [^)]*\)$/, '');
      this.setLogical(ref, 1);
      this.walkSucceeded = false;
      return;
    }
    if (text.startsWith('Pulled image: ')) {
      // CRI-O, info level
      this.crioMarks++;
      this.evidenceLines++;
      const d = DIGEST_RE.exec(text);
      if (d !== null) this.digestFromCrio = d[0];
      this.walkSucceeded = true;
      this.endWalk('success');
      return;
    }
    if (text.startsWith('Reading ') && text.includes('/signature-')) {
      const m = /@sha256=([a-f0-9]{64})\//.exec(text);
      if (m !== null && this.digestFromSignature === null) this.digestFromSignature = `sha256:${m[1]}`;
      return;
    }
    if (text.startsWith('saved image metadata ')) {
      const d = DIGEST_RE.exec(text);
      if (d !== null && this.digestFromMetadata === null) this.digestFromMetadata = d[0];
      return;
    }
    if (text.startsWith('Found image ') && text.includes(' in local containers storage') && this.walks.length === 0) {
      this.localImageFound = true;
      return;
    }
    if (text.startsWith('podman filtering at log level') || text.startsWith('Called pull.')) {
      this.podmanMarks++;
    }
  }

  private get(url: string): void {
    // skopeo inspect lists tags directly at the source, outside the walk: that names the logical repository
    const tags = /^https?:\/\/([^/]+)\/v2\/(.+)\/tags\/list/.exec(url);
    if (tags !== null) this.setLogical(`${tags[1]}/${tags[2]}`, 1);
    const m = /^https?:\/\/([^/]+)\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]{64})/.exec(url);
    const cur = this.current;
    if (m === null || cur === null) return;
    this.evidenceLines++;
    cur.blobGets++;
    const source = `${m[1]}/${m[2]}`;
    if (source !== referenceName(cur.reference) && this.foreignBlobs.length < PARSER_LIMITS.foreignBlobs) {
      const digest = m[3] ?? '';
      if (!this.foreignBlobs.some((b) => b.digest === digest && b.source === source))
        this.foreignBlobs.push({ digest, source });
    }
  }

  private credential(text: string): void {
    this.evidenceLines++;
    let m = /^No credentials matching (\S+) found in (.+)$/.exec(text);
    if (m !== null) {
      const c = this.lookup(m[1] ?? '');
      if (c !== null && c.searched.length < 8 && !c.searched.includes(m[2] ?? '')) c.searched.push(m[2] ?? '');
      return;
    }
    m = /^No credentials for (\S+) found$/.exec(text);
    if (m !== null) {
      this.lookup(m[1] ?? '');
      if (this.current !== null && this.current.credentials === null) this.current.credentials = 'none';
      return;
    }
    m = /^Found credentials for (\S+) (in credential helper .+)$/.exec(text);
    if (m !== null) {
      const c = this.lookup(m[1] ?? '');
      if (c !== null) c.found = m[2] ?? '';
      if (this.current !== null) this.current.credentials = 'found';
    }
  }

  private lookup(ref: string): CredentialLookup | null {
    let c = this.credentials.get(ref);
    if (c === undefined) {
      if (this.credentials.size >= PARSER_LIMITS.credentialNotes) return null;
      c = { found: null, searched: [] };
      this.credentials.set(ref, c);
    }
    return c;
  }

  // --- the walk --------------------------------------------------------------------------------------------

  private startAttempt(reference: string): void {
    this.evidenceLines++;
    const cur = this.current;
    if (cur !== null && cur.reference === reference && cur.provisional && cur.detail === '' && this.walkOpen) {
      // the same line repeated (journal duplicates): one attempt
      this.addLine(cur);
      return;
    }
    const walk = this.walks[this.walks.length - 1];
    const restart = walk !== undefined && this.walkOpen && walk[0]?.reference === reference;
    if (cur !== null && this.walkOpen && !restart) {
      // the next candidate is tried: the previous one failed even if no failure line was logged
      this.settle(cur, 'next');
    }
    if (!this.walkOpen || restart || walk === undefined) this.newWalk();
    const attempt: OpenAttempt = {
      walk: this.walkNo,
      reference,
      outcome: 'other',
      detail: '',
      lines: [this.lineNo],
      credentials: null,
      manifestOk: false,
      blobGets: 0,
      provisional: true,
      tooManyRequests: 0,
      pingRateLimited: false,
    };
    const list = this.walks[this.walks.length - 1];
    if (list !== undefined && list.length < PARSER_LIMITS.attemptsPerWalk) list.push(attempt);
    else this.droppedAttempts++;
    this.current = attempt;
  }

  private failAttempt(reference: string, detail: string): void {
    this.evidenceLines++;
    let a = this.current;
    if (a === null || a.reference !== reference) {
      // interleaved or out-of-order lines: find the pending attempt by name in the current walk
      a = this.walks[this.walks.length - 1]?.find((x) => x.reference === reference && x.provisional) ?? null;
    }
    if (a === null) return;
    a.provisional = false;
    a.outcome = classifyFailure(detail, reference);
    // one line: a 429 page that is not JSON reaches the error with its line breaks ("StatusCode: 429, <html>\r\n...")
    a.detail = cap(foldLines(detail), PARSER_LIMITS.detailChars);
    if (a.pingRateLimited && a.outcome === 'other' && detail.startsWith(V1_NOT_SUPPORTED)) {
      // the error hides the 429 the debug log shows: say both
      a.outcome = 'rate-limited';
      a.detail = cap(
        `${a.detail} (the /v2/ ping answered 429 Too Many Requests; containers/image then reached /v1/_ping and ` +
          'reports a V1 registry instead of the 429)',
        PARSER_LIMITS.detailChars,
      );
    }
    this.addLine(a);
    if (a === this.current) this.current = null;
  }

  /** Decides the outcome of an attempt that has no failure line. */
  private settle(a: OpenAttempt, why: 'next' | 'error' | 'eof' | 'success' | 'new-pull'): void {
    if (!a.provisional || a.outcome === 'served') return;
    if (why !== 'next' && (a.manifestOk || a.blobGets > 0 || this.walkSucceeded || why === 'success')) {
      a.outcome = 'served';
      a.provisional = false;
      return;
    }
    const none = why === 'next' ? NO_OUTCOME_NEXT : why === 'eof' ? NO_OUTCOME_END : NO_OUTCOME_ERR;
    if (a.tooManyRequests > 0) {
      a.outcome = 'rate-limited';
      a.detail =
        `${none}; it had answered 429 Too Many Requests ${a.tooManyRequests} time(s), ` +
        'containers/image was backing off';
      return;
    }
    a.outcome = 'other';
    a.detail = none;
  }

  private endWalk(why: 'error' | 'eof' | 'success' | 'new-pull'): void {
    if (this.current !== null) this.settle(this.current, why);
    this.current = null;
    this.walkOpen = false;
  }

  private newWalk(): void {
    this.walkNo++;
    this.walks.push([]);
    this.walkOpen = true;
    this.walkSucceeded = false;
    if (this.walks.length > PARSER_LIMITS.walks) this.droppedAttempts += this.walks.shift()?.length ?? 0;
  }

  private addLine(a: OpenAttempt): void {
    if (a.lines.length < PARSER_LIMITS.linesPerAttempt && a.lines[a.lines.length - 1] !== this.lineNo)
      a.lines.push(this.lineNo);
  }

  private setLogical(ref: string, rank: number): void {
    if (ref === '' || rank < this.logicalRank) return;
    this.logical = ref;
    this.logicalRank = rank;
  }

  private setFinalError(text: string): void {
    this.finalError = cap(text, PARSER_LIMITS.finalErrorChars);
    this.notePolicyRejection(text);
  }

  private notePolicyRejection(text: string): void {
    const at = text.indexOf(SOURCE_IMAGE_REJECTED);
    if (at < 0) return;
    const rest = text.slice(at);
    const nl = rest.indexOf('\n');
    this.policyRejection = nl < 0 ? rest : rest.slice(0, nl);
  }
}

export type { AttemptOutcome };
