// Error text for one-line messages (CLI stderr, Slack replies, log fields, start-up errors): the one helper for
// "what went wrong, in one line", instead of inline `e instanceof Error ? ... : String(e)` copies.

/** The message of anything thrown: an Error's message, else its string form. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The first line of what was thrown, trimmed, at most `max` characters (ending in "…" when cut): for errors whose
 * further lines are detail (stack-like output, HTTP bodies) that must not reach Slack, a log field or stderr.
 */
export function errorText(e: unknown, max = Number.POSITIVE_INFINITY): string {
  const m = messageOf(e).split('\n')[0]?.trim() ?? '';
  return m.length > max ? `${m.slice(0, max - 1)}…` : m;
}

/** Text with its line breaks (and the blanks around them) folded into one space, kept whole; optionally bounded. */
export function foldLines(s: string, max = Number.POSITIVE_INFINITY): string {
  const l = s.replace(/\s*\n\s*/g, ' ').trim();
  return l.length > max ? `${l.slice(0, max)}…` : l;
}
