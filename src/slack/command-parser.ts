// One parser for `/icsp …` and `@bot …`: Slack's text in, a command or a one-line error (plus the usage) out.
// Pure. Image references must pass parsePullReference, the security boundary for anything that later reaches a
// node; node and pool names must be Kubernetes object names.
import { parseNodeSelection, quoteInput } from '../domain/node-selection.ts';
import type { NodeSelection } from '../domain/node-selection.ts';
import { describeBadPart, parsePullReference } from '../domain/reference.ts';
import { messageOf } from '../domain/error-text.ts';
import { parseObjectKey } from '../domain/policy-overlay.ts';
import type { ObjectKey } from '../domain/policy-overlay.ts';
import { isValidMirror } from '../domain/scope.ts';
import { pastedYaml } from './pasted-yaml.ts';
import { parsePodRef } from '../domain/triage/pod-ref.ts';

export type Command =
  | { kind: 'why'; image: string; selection: NodeSelection; live: boolean }
  | { kind: 'why-pod'; namespace: string; name: string }
  | { kind: 'plan'; image: string }
  | { kind: 'fix'; image: string; mirror?: string }
  | { kind: 'what-if'; yaml: string; remove: ObjectKey[] }
  | { kind: 'policies'; filter: string | null }
  | { kind: 'status' }
  | { kind: 'help' };

export type ParseResult = { ok: true; command: Command } | { ok: false; error: string };

export const USAGE = [
  '`/icsp why IMAGE [node=NAME | pool=NAME | nodes=all|N] [--no-live]` why ' +
    'a node pulls IMAGE from where it does (plan + live check)',
  '`/icsp why pod NAMESPACE/NAME` why a pod cannot pull: what its node ' +
    'already said, against the plan of its pool (no debug pod)',
  '`/icsp plan IMAGE` the pull plan only, no live check',
  '`/icsp fix IMAGE [mirror=LOCATION]` the plan plus the YAML that fixes it, proven by the ' +
    'engine (mirror=: the repository that holds the image, when no mirror is configured)',
  '`/icsp what-if [remove=KIND/NAME]` + pasted YAML, or `@icsp-bot what-if` with a YAML file ' +
    'attached: what applying it does (MCO verdict, drain/reboot, rerouted images)',
  '`/icsp policies [FILTER]` the mirror policies (ICSP, IDMS, ITMS), optionally filtered',
  '`/icsp status` pools and whether the current mirror configuration has reached them',
  '`/icsp help` this text',
  'The same words work as `@icsp-bot why IMAGE` in a channel or a thread; a pasted kubelet event ' +
    'or `oc describe pod` output after `@icsp-bot` gets the same answer as `why pod`.',
].join('\n');

export const USAGE_LINE =
  'usage: /icsp why IMAGE [node=NAME|pool=NAME|nodes=all|N] [--no-live] | why pod ' +
  'NAMESPACE/NAME | plan IMAGE | fix IMAGE | what-if YAML | policies [FILTER] | status | help';

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

export { quoteInput };

function checkImage(raw: string): string | { error: string } {
  const image = stripCode(raw);
  try {
    parsePullReference(image);
    return image;
  } catch (e) {
    const why = describeBadPart(image) ?? messageOf(e);
    return { error: `bad image ${quoteInput(image)}: ${why}` };
  }
}

function fail(error: string): ParseResult {
  return { ok: false, error };
}

export function parseCommand(text: string): ParseResult {
  const words = normalizeSlackText(text)
    .split(/\s+/)
    .filter((w) => w.length > 0);
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
    case 'fix': {
      const mirror = takeMirror(args);
      if (typeof mirror === 'object') return fail(mirror.error);
      if (args.length !== 1)
        return fail(`fix takes exactly one IMAGE (and optionally mirror=LOCATION), got ${args.length} words`);
      const image = checkImage(args[0]!);
      return typeof image === 'string'
        ? { ok: true, command: { kind: 'fix', image, ...(mirror !== undefined ? { mirror } : {}) } }
        : fail(image.error);
    }
    case 'what-if':
    case 'whatif': {
      const { yaml, remove } = pastedYaml(normalizeSlackText(text).replace(/^\S+/, ''));
      const keys: ObjectKey[] = [];
      for (const r of remove) {
        const k = parseObjectKey(r);
        if (k === null) return fail(`remove= takes KIND/NAME (KIND: icsp, idms, itms, image), got ${quoteInput(r)}`);
        keys.push(k);
      }
      return { ok: true, command: { kind: 'what-if', yaml, remove: keys } };
    }
    case 'why':
      if (args[0]?.toLowerCase() === 'pod') {
        if (args.length !== 2) return fail(`why pod takes exactly one NAMESPACE/NAME, got ${args.length - 1} words`);
        const ref = parsePodRef(stripCode(args[1] ?? ''));
        return 'error' in ref
          ? fail(`bad pod: ${ref.error}`)
          : { ok: true, command: { kind: 'why-pod', namespace: ref.namespace, name: ref.name } };
      }
      return parseWhy(args);
    default:
      return fail(`unknown subcommand ${quoteInput(words[0] ?? '')}`);
  }
}

/** Removes a `mirror=LOCATION` word from args; the location must be a mirror (host[:port][/path]). */
function takeMirror(args: string[]): string | undefined | { error: string } {
  const i = args.findIndex((a) => /^mirror=/i.test(a));
  if (i === -1) return undefined;
  const value = stripCode(args[i]!.slice('mirror='.length));
  args.splice(i, 1);
  if (!isValidMirror(value))
    return { error: `mirror= takes a repository location (host[:port]/path, lowercase), got ${quoteInput(value)}` };
  return value;
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
      const key = eq[1]!.toLowerCase() as 'node' | 'pool' | 'nodes';
      const parsed = parseNodeSelection(key, stripCode(eq[2]!), `${key}=`);
      if ('error' in parsed) return fail(parsed.error);
      selection = parsed;
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
