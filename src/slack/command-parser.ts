// One parser for `/icsp …` and `@bot …`: Slack's text in, a command or a one-line error (plus the usage) out.
// Pure. Image references must pass parsePullReference, the security boundary for anything that later reaches a
// node; node and pool names must be Kubernetes object names.
import type { NodeSelection } from '../ports/live-check.ts';
import { describeBadPart, parsePullReference } from '../domain/reference.ts';

export type Command =
  | { kind: 'why'; image: string; selection: NodeSelection; live: boolean }
  | { kind: 'plan'; image: string }
  | { kind: 'policies'; filter: string | null }
  | { kind: 'status' }
  | { kind: 'help' };

export type ParseResult = { ok: true; command: Command } | { ok: false; error: string };

export const USAGE = [
  '`/icsp why IMAGE [node=NAME | pool=NAME | nodes=all|N] [--no-live]` why a node pulls IMAGE from where it does (plan + live check)',
  '`/icsp plan IMAGE` the pull plan only, no live check',
  '`/icsp policies [FILTER]` the mirror policies (ICSP, IDMS, ITMS), optionally filtered',
  '`/icsp status` pools and whether the current mirror configuration has reached them',
  '`/icsp help` this text',
  'The same words work as `@icsp-bot why IMAGE` in a channel or a thread.',
].join('\n');

export const USAGE_LINE = 'usage: /icsp why IMAGE [node=NAME|pool=NAME|nodes=all|N] [--no-live] | plan IMAGE | policies [FILTER] | status | help';

/** Kubernetes object names (DNS-1123 subdomain): what node= and pool= accept. */
const K8S_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MAX_NODES = 50;

/** Undoes Slack's formatting of message text: <@U…> mentions, <url|label> links, HTML entities, `code`. */
export function normalizeSlackText(text: string): string {
  return text
    .replace(/<@[A-Z0-9]+(\|[^>]*)?>/g, ' ')
    .replace(/<(?:https?|mailto):[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<((?:https?|mailto):[^>]*)>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/[\u2018\u2019\u201c\u201d]/g, '')
    .trim();
}

function stripCode(tok: string): string {
  return tok.replace(/^`+|`+$/g, '');
}

/** Quotes user input for an error line: bounded, no control characters. */
export function quoteInput(s: string, max = 80): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f]/g, '?');
  return JSON.stringify(clean.length > max ? `${clean.slice(0, max)}…` : clean);
}

function checkImage(raw: string): string | { error: string } {
  const image = stripCode(raw);
  try {
    parsePullReference(image);
    return image;
  } catch (e) {
    const why = describeBadPart(image) ?? (e instanceof Error ? e.message : String(e));
    return { error: `bad image ${quoteInput(image)}: ${why}` };
  }
}

function fail(error: string): ParseResult {
  return { ok: false, error };
}

export function parseCommand(text: string): ParseResult {
  const words = normalizeSlackText(text).split(/\s+/).filter((w) => w.length > 0);
  const sub = (words[0] ?? 'help').toLowerCase();
  const args = words.slice(1);
  switch (sub) {
    case 'help':
    case '--help':
    case '-h':
      return { ok: true, command: { kind: 'help' } };
    case 'status':
      if (args.length > 0) return fail(`status takes no arguments, got ${quoteInput(args.join(' '))}`);
      return { ok: true, command: { kind: 'status' } };
    case 'policies':
      if (args.length > 1) return fail(`policies takes at most one FILTER, got ${args.length} words`);
      return { ok: true, command: { kind: 'policies', filter: args[0] === undefined ? null : stripCode(args[0]) } };
    case 'plan': {
      if (args.length !== 1) return fail(`plan takes exactly one IMAGE, got ${args.length}`);
      const image = checkImage(args[0]!);
      return typeof image === 'string' ? { ok: true, command: { kind: 'plan', image } } : fail(image.error);
    }
    case 'why':
      return parseWhy(args);
    default:
      return fail(`unknown subcommand ${quoteInput(words[0] ?? '')}`);
  }
}

function parseWhy(args: string[]): ParseResult {
  let image: string | undefined;
  let selection: NodeSelection | undefined;
  let live = true;
  for (const a of args) {
    if (a === '--no-live') {
      live = false;
      continue;
    }
    const eq = /^(node|pool|nodes)=(.*)$/i.exec(a);
    if (eq !== null) {
      if (selection !== undefined) return fail('give at most one of node=, pool= or nodes=');
      const key = eq[1]!.toLowerCase();
      const value = stripCode(eq[2]!);
      if (key === 'nodes') {
        if (value === 'all') selection = { nodes: 'all' };
        else if (/^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= MAX_NODES) selection = { nodes: Number(value) };
        else return fail(`nodes= takes "all" or a number 1..${MAX_NODES}, got ${quoteInput(value)}`);
      } else {
        if (value.length === 0 || value.length > 253 || !K8S_NAME.test(value)) return fail(`${key}= takes a ${key} name (lowercase letters, digits, "-" and "."), got ${quoteInput(value)}`);
        selection = key === 'node' ? { node: value } : { pool: value };
      }
      continue;
    }
    if (a.startsWith('-')) return fail(`unknown option ${quoteInput(a)}`);
    if (image !== undefined) return fail(`why takes exactly one IMAGE, got another word ${quoteInput(a)}`);
    const checked = checkImage(a);
    if (typeof checked !== 'string') return fail(checked.error);
    image = checked;
  }
  if (image === undefined) return fail('why needs an IMAGE');
  return { ok: true, command: { kind: 'why', image, selection: selection ?? { default: true }, live } };
}
