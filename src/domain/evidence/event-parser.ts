// Reads what the node already said about a failed pull: the text of a kubelet event, a container's
// state.waiting.message, or a paste of `oc describe pod` / `oc get events` (also their -o json/yaml). CRI-O
// returns containers/image's error, which lists every mirror it tried:
//   initializing source docker://<logical>: (Mirrors also failed: [<cand1>: <err1>]\n[<cand2>: <err2>]): <last>: <err>
// (one candidate: `initializing source docker://<logical>: <err>`), and the kubelet wraps it:
//   event Failed          Failed to pull image "X": [rpc error: code = Unknown desc = ]<err>
//   event InspectFailed   Failed to inspect image "X": [rpc error: ...]<err>
//   waiting ErrImagePull  <err> | image pull failed for X because the registry is unavailable: <err>
//   waiting BackOff       Back-off pulling image "X"[: ErrImagePull: <err>]
// (kubelet pkg/kubelet/images/image_manager.go, k8s.io/cri-client remote_image.go, CRI-O server/image_pull.go).
// Line-fed with bounded state, like PodmanLogParser, so a large paste costs one pass.
import { cleanRawLine, unquoteGo } from './log-line.ts';
import { classifyFailure } from './failure-class.ts';
import { foldLines } from '../error-text.ts';
import type { ObservedAttempt, PullEvidence } from './evidence-types.ts';

export const EVENT_LIMITS = {
  /** Distinct error messages kept (the most informative per image wins). */
  messages: 64,
  messageChars: 64 * 1024,
  attempts: 64,
  detailChars: 4096,
  images: 32,
} as const;

/** Where the kubelet put the text, as far as it can be told. */
export type EventKind = 'pull-failed' | 'inspect-failed' | 'back-off' | 'waiting' | 'cri-error';

export interface EventImage {
  /** The image as the pod spec names it (the kubelet's quoted image), else the logical reference. */
  image: string;
  /** Messages that carried a pull error for this image. */
  errors: number;
  /** `Back-off pulling image` messages. */
  backOffs: number;
}

export interface EventContext {
  /** Kinds of message seen, in first-seen order. */
  kinds: EventKind[];
  /** Waiting/event reasons seen: ErrImagePull, ImagePullBackOff, RegistryUnavailable, SignatureValidationFailed, ... */
  reasons: string[];
  /** The image the evidence is about. */
  image: string | null;
  images: EventImage[];
  /** From an `oc describe pod` paste. */
  pod: { namespace: string | null; name: string | null; node: string | null } | null;
  /** The CRI error class CRI-O set: RegistryUnavailable / SignatureValidationFailed, else null. */
  criClass: string | null;
  /** The gRPC status prefix was present (kubelets before the cri-client strip it). */
  grpcPrefix: boolean;
}

export interface EventEvidence {
  evidence: PullEvidence;
  event: EventContext;
}

const START_RE = new RegExp(
  String.raw`Failed to pull image "|Failed to inspect image "|Back-off pulling image "|` +
    String.raw`image pull failed for |rpc error: code = |initializing source docker:\/\/|` +
    String.raw`short name mode is enforcing|short-name resolution enforced|Source image rejected: `,
);
const REASON_RE = new RegExp(
  String.raw`\b(ErrImagePull|ImagePullBackOff|RegistryUnavailable|SignatureValidationFailed|InvalidImageName|` +
    String.raw`ErrImageNeverPull|ImageInspectError|InspectFailed)\b`,
  'g',
);

/** Markers that say a text is a kubelet event / CRI error rather than a debug log. */
export const EVENT_MARKER_RE = new RegExp(
  String.raw`Failed to pull image "|Failed to inspect image "|Back-off pulling image "|` +
    String.raw`image pull failed for \S+ because|rpc error: code = \w+ desc = |short name mode is enforcing|` +
    String.raw`short-name resolution enforced|^(Error: )?(initializing source docker:\/\/|` +
    String.raw`Source image rejected: )`,
);

interface ParsedMessage {
  kind: EventKind;
  image: string | null;
  logical: string | null;
  /** containers/image's error, without kubelet / gRPC / CRI wrapping; "" when the message carries none. */
  error: string;
  attempts: ObservedAttempt[];
  criClass: string | null;
  grpcPrefix: boolean;
  lines: number[];
  /** Reasons this message implies (replayed when the same text repeats). */
  reasons: string[];
}

function cap(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n)}… [${s.length - n} more characters]`;
}

/** A quoted image after `prefix"`: returns [image, rest after `": `] or null. */
function quoted(text: string, prefix: string): [string, string] | null {
  if (!text.startsWith(prefix)) return null;
  const end = text.indexOf('"', prefix.length);
  if (end < 0) return null;
  const image = text.slice(prefix.length, end);
  if (/\s/.test(image)) return null;
  const rest = text.slice(end + 1);
  return [image, rest.startsWith(': ') ? rest.slice(2) : rest.replace(/^:\s*/, '')];
}

/** Removes CRI-O's and the kubelet's wrapping: gRPC status, RegistryUnavailable, evalCRIPullErr's sentence. */
function unwrapCri(text: string, m: Pick<ParsedMessage, 'criClass' | 'grpcPrefix' | 'image'>): string {
  let t = text.trim();
  for (let i = 0; i < 4; i++) {
    const before = t;
    const g = /^rpc error: code = \w+ desc = /.exec(t);
    if (g !== null) {
      m.grpcPrefix = true;
      t = t.slice(g[0].length);
    }
    const ku =
      /^image pull failed for (\S+) because the (registry is unavailable|signature validation failed)(: )?/.exec(t);
    if (ku !== null) {
      m.image ??= ku[1] ?? null;
      m.criClass = ku[2] === 'registry is unavailable' ? 'RegistryUnavailable' : 'SignatureValidationFailed';
      t = t.slice(ku[0].length);
    }
    const cls = /^(RegistryUnavailable|SignatureValidationFailed|ErrImagePull|ImageInspectError): /.exec(t);
    if (cls !== null) {
      if (cls[1] === 'RegistryUnavailable' || cls[1] === 'SignatureValidationFailed') m.criClass = cls[1];
      t = t.slice(cls[0].length);
    }
    if (t === before) break;
  }
  return t;
}

/**
 * How much of a quoted error page is still to come on the next lines: containers/image quotes the first 50 bytes of
 * a body that is not distribution's JSON, "StatusCode: 429, <body>" plus "..." when cut (5.23.1 docker/errors.go:
 * 48-58), line breaks included (nginx's pages end their lines in CR LF). 0: the text ends here; never more than
 * those 50 bytes, so a paste with CR LF line ends loses at most that much of what follows.
 * @param left what was still to come before `line` was added to the open body; null: `text` may start a body
 */
function quotedBodyLeft(text: string, crlf: boolean, left: number | null, line: string): number {
  if (!crlf || line.endsWith('...')) return 0;
  if (left !== null) return Math.max(0, left - line.length - 2);
  const body = /StatusCode: \d{3}, ([^\n]*)$/.exec(text)?.[1];
  return body === undefined ? 0 : Math.max(0, 50 - body.length - 2);
}

/** Splits `[a: e1]\n[b: e2]` into entries; a `]` inside an error (IPv6 `[::1]:5000`) does not end an entry. */
function splitMirrorList(list: string): string[] {
  const body = list.replace(/^\s*\[/, '').replace(/\]\s*$/, '');
  return body.split(/\]\s*\[(?=[^\s[\]]+: )/);
}

function attempt(ref: string, err: string, line: number): ObservedAttempt {
  return {
    walk: 1,
    reference: ref,
    outcome: classifyFailure(err, ref),
    // one line, as the debug-log parser keeps it (a 429 page that is not JSON carries line breaks)
    detail: cap(foldLines(err), EVENT_LIMITS.detailChars),
    lines: [line],
    credentials: null,
  };
}

/** containers/image's error -> the candidates in the order they were tried. */
export function parseCImageError(
  error: string,
  image: string | null,
  line = 1,
): { logical: string | null; attempts: ObservedAttempt[] } {
  let t = error.replace(/^Error: /, '');
  let logical: string | null = null;
  const init = /^initializing source docker:\/\/(\S+?): /.exec(t);
  if (init !== null) {
    logical = init[1] ?? null;
    t = t.slice(init[0].length);
  }
  const attempts: ObservedAttempt[] = [];
  const MIRRORS = '(Mirrors also failed: ';
  if (t.startsWith(MIRRORS)) {
    const end = t.lastIndexOf(']): ');
    if (end > 0) {
      for (const entry of splitMirrorList(t.slice(MIRRORS.length, end + 1))) {
        const sep = entry.indexOf(': ');
        if (sep > 0 && attempts.length < EVENT_LIMITS.attempts - 1)
          attempts.push(attempt(entry.slice(0, sep), entry.slice(sep + 2), line));
      }
      const primary = t.slice(end + ']): '.length);
      const sep = primary.indexOf(': ');
      if (sep > 0) attempts.push(attempt(primary.slice(0, sep), primary.slice(sep + 2), line));
      return { logical, attempts };
    }
  }
  const short = /short name mode is enforcing, but image name (\S+) returns ambiguous list/.exec(t);
  const rejected = /Running image docker:\/\/(\S+?) is rejected by policy/.exec(t);
  const ref = logical ?? short?.[1] ?? rejected?.[1] ?? image;
  if (ref !== null && t.trim() !== '') attempts.push(attempt(ref, t.trim(), line));
  return { logical: logical ?? rejected?.[1] ?? short?.[1] ?? null, attempts };
}

export class EventTextParser {
  /** @param image the image asked about: picks it when the text names several, names it when the text does not */
  private readonly image: string | null;

  constructor(image: string | null = null) {
    this.image = image;
  }

  private lineNo = 0;
  private evidenceLines = 0;
  private bytes = 0;
  private open: { text: string; lines: number[]; inMirrorList: boolean; bodyLeft: number } | null = null;
  /** JSON/YAML `message:` values are parsed as texts of their own. */
  private readonly messages: ParsedMessage[] = [];
  private readonly seen = new Map<string, ParsedMessage>();
  private dropped = 0;
  private readonly kinds: EventKind[] = [];
  private readonly reasons = new Set<string>();
  private readonly images = new Map<string, EventImage>();
  private pod: { namespace: string | null; name: string | null; node: string | null } | null = null;

  push(raw: string): void {
    this.lineNo++;
    this.bytes += raw.length + 1;
    const line = cleanRawLine(raw);
    const crlf = raw.endsWith('\r');
    // a JSON or YAML dump (oc get events -o json, oc get pod -o yaml): the message value is the text
    const jm = line.includes('message') ? /^\s*"?message"?:\s*"(.*?)"?,?\s*$/.exec(line) : null;
    if (jm !== null && START_RE.test(jm[1] ?? '')) {
      this.flush();
      for (const part of unquoteGo(jm[1] ?? '').split('\n')) this.text(part.replace(/\r$/, ''), part.endsWith('\r'));
      this.flush();
      return;
    }
    this.text(line, crlf);
  }

  /** @param crlf the line ended in CR LF (an HTML error page quoted in the error: nginx writes CR LF) */
  private text(line: string, crlf: boolean): void {
    const o = this.open;
    if (o !== null && (o.inMirrorList || o.bodyLeft > 0)) {
      // the mirror list of containers/image's error spans lines, and so does a quoted error page
      if (o.text.length < EVENT_LIMITS.messageChars) o.text += `\n${o.inMirrorList ? line.trim() : line}`;
      if (o.lines.length < 8) o.lines.push(this.lineNo);
      this.evidenceLines++;
      if (o.inMirrorList) o.inMirrorList = !line.includes(']): ');
      o.bodyLeft = o.inMirrorList ? 0 : quotedBodyLeft(o.text, crlf, o.bodyLeft > 0 ? o.bodyLeft : null, line);
      return;
    }
    this.context(line);
    const m = START_RE.exec(line);
    if (m === null) return;
    this.flush();
    this.evidenceLines++;
    const text = line.slice(m.index).trimEnd();
    const inMirrorList = text.includes('(Mirrors also failed: ') && !text.includes(']): ');
    this.open = {
      text,
      lines: [this.lineNo],
      inMirrorList,
      bodyLeft: inMirrorList ? 0 : quotedBodyLeft(text, crlf, null, text),
    };
  }

  /** Reasons and the pod's identity from the lines around the messages. */
  private context(line: string): void {
    if (line.includes('Error: ') || line.includes('Reason') || line.includes('reason')) {
      for (const r of line.matchAll(REASON_RE)) if (this.reasons.size < 16) this.reasons.add(r[1] ?? '');
    }
    const d = line.charCodeAt(0) === 78 /* N */ ? /^(Name|Namespace|Node):\s+(\S+)/.exec(line) : null;
    if (d !== null) {
      this.pod ??= { namespace: null, name: null, node: null };
      const v = d[2] ?? '';
      if (d[1] === 'Name' && this.pod.name === null) this.pod.name = v;
      else if (d[1] === 'Namespace' && this.pod.namespace === null) this.pod.namespace = v;
      else if (d[1] === 'Node' && this.pod.node === null) this.pod.node = v.split('/')[0] ?? v;
    }
  }

  private flush(): void {
    const o = this.open;
    this.open = null;
    if (o === null) return;
    // a paste repeats the same text (x3 events, waiting message, -o json): parse each distinct text once
    let m = this.seen.get(o.text);
    const repeat = m !== undefined;
    if (m === undefined) {
      m = this.parseMessage(o.text, o.lines);
      if (this.seen.size < EVENT_LIMITS.messages) this.seen.set(o.text, m);
    } else {
      for (const r of m.reasons) this.reasons.add(r);
    }
    if (!this.kinds.includes(m.kind)) this.kinds.push(m.kind);
    const key = m.image ?? m.logical;
    if (key !== null) {
      let img = this.images.get(key);
      if (img === undefined && this.images.size < EVENT_LIMITS.images) {
        img = { image: key, errors: 0, backOffs: 0 };
        this.images.set(key, img);
      }
      if (img !== undefined) {
        if (m.kind === 'back-off') img.backOffs++;
        if (m.error !== '') img.errors++;
      }
    }
    if (repeat || (m.error === '' && m.attempts.length === 0)) return;
    // the same error in another wrapping (event vs waiting message): keep one of each
    const error = m.error;
    const img = m.image;
    if (this.messages.some((x) => x.error === error && x.image === img)) return;
    if (this.messages.length >= EVENT_LIMITS.messages) {
      this.dropped++;
      return;
    }
    this.messages.push(m);
  }

  private parseMessage(text: string, lines: number[]): ParsedMessage {
    const m: ParsedMessage = {
      kind: 'cri-error',
      image: null,
      logical: null,
      error: '',
      attempts: [],
      criClass: null,
      grpcPrefix: false,
      lines,
      reasons: [],
    };
    let rest = text;
    let q = quoted(text, 'Failed to pull image "');
    if (q !== null) {
      m.kind = 'pull-failed';
      m.reasons.push('ErrImagePull');
    } else if ((q = quoted(text, 'Failed to inspect image "')) !== null) {
      m.kind = 'inspect-failed';
      m.reasons.push('InspectFailed');
    } else if ((q = quoted(text, 'Back-off pulling image "')) !== null) {
      m.kind = 'back-off';
      m.reasons.push('ImagePullBackOff');
    } else if (text.startsWith('image pull failed for ')) m.kind = 'waiting';
    if (q !== null) {
      m.image = q[0] !== '' ? q[0] : null;
      rest = q[1];
    }
    rest = unwrapCri(rest, m);
    if (m.criClass !== null) m.reasons.push(m.criClass);
    for (const r of m.reasons) this.reasons.add(r);
    m.error = rest;
    if (rest === '') return m;
    const parsed = parseCImageError(rest, m.image ?? this.image, lines[0] ?? 1);
    m.logical = parsed.logical;
    m.attempts = parsed.attempts;
    for (const a of m.attempts) a.lines = lines.slice(0, 8);
    return m;
  }

  finish(): EventEvidence {
    this.flush();
    const image = this.image;
    const score = (x: ParsedMessage): number =>
      x.attempts.length * 4 + (x.error.includes('(Mirrors also failed') ? 2 : 0) + (x.logical !== null ? 1 : 0);
    let chosen: ParsedMessage | null = null;
    for (const x of this.messages) {
      if (image !== null && (x.image ?? x.logical) !== null && x.image !== image && x.logical !== image) continue;
      if (chosen === null || score(x) >= score(chosen)) chosen = x;
    }
    const firstImage = image ?? chosen?.image ?? chosen?.logical ?? [...this.images.keys()][0] ?? null;
    const evidence: PullEvidence = {
      tool: 'kubelet',
      logicalReference: chosen?.logical ?? chosen?.image ?? firstImage,
      configFiles: [],
      attempts: chosen?.attempts ?? [],
      served: null,
      blobsFromOtherSources: [],
      finalError: chosen !== null && chosen.error !== '' ? cap(chosen.error, 16 * 1024) : null,
      credentialNotes: [],
      retries: 0,
      localImageFound: false,
      pullProgressSeen: false,
      stats: {
        lines: this.lineNo,
        framedLines: 0,
        debugLines: 0,
        evidenceLines: this.evidenceLines,
        droppedAttempts: this.dropped,
      },
    };
    return {
      evidence,
      event: {
        kinds: [...this.kinds],
        reasons: [...this.reasons],
        image: chosen?.image ?? firstImage,
        images: [...this.images.values()],
        pod: this.pod,
        criClass: chosen?.criClass ?? null,
        grpcPrefix: chosen?.grpcPrefix ?? false,
      },
    };
  }
}

/** Parses a whole text (tests, Slack pastes). */
export function parseEventText(text: string, image: string | null = null): PullEvidence & { event: EventContext } {
  const p = new EventTextParser(image);
  for (const line of text.split('\n')) p.push(line);
  const r = p.finish();
  return { ...r.evidence, event: r.event };
}
