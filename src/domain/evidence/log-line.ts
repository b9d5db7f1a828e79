// One raw output line of podman / skopeo / CRI-O -> its level and message text. Three framings occur:
// logrus text (`time="..." level=debug msg="...\"..."`, also behind a journald prefix), logrus TTY
// (`DEBU[0000] text`, ANSI colours, padding, CRLF) and plain stderr/stdout (`Error: ...`, progress lines).

export type LogLevel = 'trace' | 'debug' | 'info' | 'warning' | 'error' | 'fatal' | 'panic';

export interface LogLine {
  /** null for a plain line without logrus framing. */
  level: LogLevel | null;
  /** The message, unescaped; for plain lines the whole line. */
  text: string;
}

// CSI sequences (colours, cursor moves of progress bars) and lone escapes.
// eslint-disable-next-line no-control-regex
const ANSI_RE = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]/g;
const TTY_RE = /^(TRAC|DEBU|INFO|WARN|ERRO|FATA|PANI)\[[^\]]{0,40}\] ?(.*)$/s;
const TTY_LEVELS: Record<string, LogLevel> = {
  TRAC: 'trace',
  DEBU: 'debug',
  INFO: 'info',
  WARN: 'warning',
  ERRO: 'error',
  FATA: 'fatal',
  PANI: 'panic',
};
const LEVEL_RE = /(?:^|\s)level=(trace|debug|info|warning|warn|error|fatal|panic)\s+msg=/;

/** Strips ANSI escapes, CR and other C0 controls except tab. */
export function cleanRawLine(raw: string): string {
  let s = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (s.includes('\x1b')) s = s.replace(ANSI_RE, '');
  // a progress bar redraws with bare CRs: keep only what was drawn last
  const cr = s.lastIndexOf('\r');
  if (cr >= 0) s = s.slice(cr + 1);
  return s;
}

export function parseLogLine(raw: string): LogLine {
  const s = cleanRawLine(raw);
  // fast path: most lines of a debug log start with time=
  const lv = s.includes('level=') ? LEVEL_RE.exec(s) : null;
  if (lv !== null) {
    const level = (lv[1] === 'warn' ? 'warning' : lv[1]) as LogLevel;
    const start = lv.index + lv[0].length;
    return { level, text: readLogfmtValue(s, start) };
  }
  const tty = s.length > 5 && s.charCodeAt(4) === 91 /* [ */ ? TTY_RE.exec(s) : null;
  if (tty !== null) {
    return { level: TTY_LEVELS[tty[1] ?? ''] ?? 'debug', text: (tty[2] ?? '').trimEnd() };
  }
  return { level: null, text: s };
}

/** Reads a logrus text-formatter value at `start`: a Go-quoted string, or a bare token. */
function readLogfmtValue(s: string, start: number): string {
  if (s.charCodeAt(start) !== 34 /* " */) {
    const end = s.indexOf(' ', start);
    return end < 0 ? s.slice(start) : s.slice(start, end);
  }
  // find the closing quote, skipping escaped characters
  let i = start + 1;
  let hasEscape = false;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 92 /* \ */) {
      hasEscape = true;
      i += 2;
      continue;
    }
    if (c === 34) break;
    i++;
  }
  // an unterminated quote (truncated line) keeps what is there
  const body = s.slice(start + 1, Math.min(i, s.length));
  return hasEscape ? unquoteGo(body) : body;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
  "'": "'",
};

/** Undoes Go's strconv.Quote escaping; malformed escapes are kept literally. */
export function unquoteGo(body: string): string {
  let out = '';
  let i = 0;
  while (i < body.length) {
    const j = body.indexOf('\\', i);
    if (j < 0) {
      out += body.slice(i);
      break;
    }
    out += body.slice(i, j);
    const e = body[j + 1];
    if (e === undefined) {
      out += '\\';
      break;
    }
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
      i = j + 2;
      continue;
    }
    const width = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    const hex = width > 0 ? body.slice(j + 2, j + 2 + width) : '';
    if (width > 0 && hex.length === width && /^[0-9a-fA-F]+$/.test(hex)) {
      const cp = Number.parseInt(hex, 16);
      // \xNN is a raw byte (invalid UTF-8 in the original); show it as U+FFFD rather than a wrong character
      out += e === 'x' && cp > 0x7f ? '\uFFFD' : cp <= 0x10ffff ? String.fromCodePoint(cp) : '\uFFFD';
      i = j + 2 + width;
      continue;
    }
    out += '\\' + e;
    i = j + 2;
  }
  return out;
}
