// One entry for `icsp evidence`: decides from the first lines whether the text is a debug log (podman, skopeo,
// CRI-O journal: logrus-framed lines, `Trying to access`) or what the kubelet said (an event, a waiting message,
// an `oc describe pod` / `oc get events` paste), then feeds every line to that parser. Lines seen before the
// decision are buffered (bounded) and replayed.
import { EVENT_MARKER_RE, EventTextParser } from './event-parser.ts';
import type { EventContext } from './event-parser.ts';
import type { PullEvidence } from './evidence-types.ts';
import { cleanRawLine } from './log-line.ts';
import { PodmanLogParser } from './podman-log-parser.ts';

/** Undecided after this many lines: a debug log (the parser that says most about arbitrary text). */
const DECIDE_WITHIN = 200;

const LOG_MARKER_RE =
  /(^|\s)level=\w+ msg=|^(TRAC|DEBU|INFO|WARN|ERRO|FATA)\[|Trying to access "|^Trying to pull \S+\.\.\.$/;
/** Strong event markers decide at once; `initializing source` alone may still be followed by debug lines. */
const STRONG_EVENT_RE = new RegExp(
  String.raw`Failed to pull image "|Failed to inspect image "|Back-off pulling image "|` +
    String.raw`image pull failed for \S+ because|rpc error: code = \w+ desc = |short name mode is enforcing`,
);

export type TextKind = 'log' | 'event';

export interface PullTextResult {
  kind: TextKind;
  evidence: PullEvidence;
  /** Only for kind 'event'. */
  event: EventContext | null;
}

export class PullTextParser {
  private readonly pending: string[] = [];
  private weakEvent = false;
  private log: PodmanLogParser | null = null;
  private event: EventTextParser | null = null;

  private readonly image: string | null;

  constructor(image: string | null = null) {
    this.image = image;
  }

  push(line: string): void {
    if (this.log !== null) {
      this.log.push(line);
      return;
    }
    if (this.event !== null) {
      this.event.push(line);
      return;
    }
    this.pending.push(line);
    const clean = cleanRawLine(line);
    if (LOG_MARKER_RE.test(clean)) this.decide('log');
    else if (STRONG_EVENT_RE.test(clean)) this.decide('event');
    else {
      if (EVENT_MARKER_RE.test(clean)) this.weakEvent = true;
      if (this.pending.length >= DECIDE_WITHIN) this.decide(this.weakEvent ? 'event' : 'log');
    }
  }

  private decide(kind: TextKind): void {
    const lines = this.pending.splice(0);
    if (kind === 'log') {
      const p = new PodmanLogParser();
      this.log = p;
      for (const l of lines) p.push(l);
    } else {
      const p = new EventTextParser(this.image);
      this.event = p;
      for (const l of lines) p.push(l);
    }
  }

  finish(): PullTextResult {
    if (this.log === null && this.event === null) this.decide(this.weakEvent ? 'event' : 'log');
    if (this.event !== null) {
      const r = this.event.finish();
      return { kind: 'event', evidence: r.evidence, event: r.event };
    }
    return { kind: 'log', evidence: (this.log as PodmanLogParser).finish(), event: null };
  }
}
