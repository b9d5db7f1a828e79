// Error text for one-line messages (CLI stderr, Slack replies, log fields, start-up errors): the one helper for
// "what went wrong, in one line", instead of inline `e instanceof Error ? ... : String(e)` copies.

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Control characters (ESC sequences, a lone CR, bidi overrides) that could rewrite a terminal or hide text, escaped.
 */
export function escapeControl(s: string): string {
  return s.replace(CONTROL, (c) => {
    const n = c.charCodeAt(0);
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}

/** The message of anything thrown: an Error's message, else its string form. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The first line of what was thrown, trimmed, at most `max` characters (ending in "…" when cut): for errors whose
 * further lines are detail (stack-like output, HTTP bodies) that must not reach Slack, a log field or stderr.
 */
export function errorText(e: unknown, max = Number.POSITIVE_INFINITY): string {
  const m = escapeControl(messageOf(e).split('\n')[0]?.trim() ?? '');
  return m.length > max ? `${m.slice(0, max - 1)}…` : m;
}

/**
 * Text with its line breaks (and the blanks around them) folded into one space, control characters escaped, kept whole;
 * optionally bounded.
 */
export function foldLines(s: string, max = Number.POSITIVE_INFINITY): string {
  const l = escapeControl(s.replace(/\s*\n\s*/g, ' ').trim());
  return l.length > max ? `${l.slice(0, max)}…` : l;
}
