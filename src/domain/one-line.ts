// Messages for a one-line error: newlines and the blanks around them fold into one space; optionally bounded.

export function oneLine(s: string, max = Number.POSITIVE_INFINITY): string {
  const l = s.replace(/\s*\n\s*/g, ' ').trim();
  return l.length > max ? `${l.slice(0, max)}…` : l;
}
