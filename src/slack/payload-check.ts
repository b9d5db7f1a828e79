// What a Slack payload must look like before a listener reads it. Slack's own payloads always pass; anything
// else (a signed body of `null`, a block action without `user`, a command whose text is a number) is refused in
// one sentence instead of reaching code that would throw a JS error at the user or leave the request unanswered.
import { ACTIONS } from './blocks.ts';
import { TRIAGE_ACTIONS } from './triage-blocks.ts';
import { SLASH_COMMAND } from './scopes.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): v is string => typeof v === 'string';
const id = (v: unknown): v is string => typeof v === 'string' && /^[A-Z0-9]{1,40}$/.test(v);

/** What to do with a parsed request body. */
export type PayloadVerdict =
  | { ok: true; kind: 'command' | 'mention' | 'action' }
  /** Well-formed but nothing icsp-bot answers (another event type, another action): acknowledged, not run. */
  | { ok: true; kind: 'ignored'; why: string }
  | { ok: false; error: string };

const bad = (error: string): PayloadVerdict => ({ ok: false, error });

/** Every block action the app listens to: the front door lets these through, app.ts registers exactly these. */
export const OUR_ACTIONS: ReadonlySet<string> = new Set<string>([
  ACTIONS.runNode,
  ACTIONS.runPool,
  ACTIONS.showDiff,
  TRIAGE_ACTIONS.live,
]);

/**
 * Envelope fields Bolt itself reads before any listener (context, conversation, authorizations): absent or well-typed.
 */
function envelopeError(body: Obj): string | undefined {
  for (const k of ['team', 'enterprise', 'channel', 'container', 'message', 'view', 'state', 'user']) {
    if (k in body && body[k] !== undefined && !isObj(body[k])) return `${k} is not an object`;
  }
  if ('authorizations' in body && !Array.isArray(body['authorizations'])) return 'authorizations is not a list';
  if (Array.isArray(body['authorizations']) && body['authorizations'].some((a) => !isObj(a)))
    return 'authorizations has an entry that is not an object';
  for (const k of ['team_id', 'enterprise_id', 'api_app_id', 'channel_id', 'user_id', 'type', 'token', 'event_id']) {
    if (k in body && body[k] !== undefined && typeof body[k] !== 'string') return `${k} is not a string`;
  }
  return undefined;
}

export function checkPayload(body: unknown): PayloadVerdict {
  if (!isObj(body))
    return bad(
      `the payload is ${body === null ? 'null' : Array.isArray(body) ? 'a list' : typeof body}, not an object`,
    );
  const envelope = envelopeError(body);
  if (envelope !== undefined) return bad(`the payload's ${envelope}`);
  if (str(body['command'])) {
    if (body['command'] !== SLASH_COMMAND)
      return { ok: true, kind: 'ignored', why: `command ${body['command'].slice(0, 40)}` };
    if (!str(body['text'])) return bad('the slash command has no text');
    if (!id(body['user_id']) || !id(body['channel_id']))
      return bad('the slash command has no valid user_id or channel_id');
    if (!str(body['response_url'])) return bad('the slash command has no response_url');
    return { ok: true, kind: 'command' };
  }
  switch (body['type']) {
    case 'event_callback': {
      const ev = body['event'];
      if (!isObj(ev) || !str(ev['type'])) return bad('the event callback has no event');
      if (ev['type'] !== 'app_mention') return { ok: true, kind: 'ignored', why: `event ${ev['type'].slice(0, 40)}` };
      if (!str(ev['text']) || !id(ev['channel']) || !str(ev['ts']))
        return bad('the app_mention event lacks text, channel or ts');
      if (ev['user'] !== undefined && !id(ev['user'])) return bad('the app_mention event has an invalid user');
      if (ev['thread_ts'] !== undefined && !str(ev['thread_ts']))
        return bad('the app_mention event has an invalid thread_ts');
      return { ok: true, kind: 'mention' };
    }
    case 'block_actions': {
      const actions = body['actions'];
      if (!Array.isArray(actions) || actions.length === 0 || !isObj(actions[0]) || !str(actions[0]['action_id']))
        return bad('the block action has no actions');
      if (!OUR_ACTIONS.has(actions[0]['action_id']))
        return { ok: true, kind: 'ignored', why: `action ${actions[0]['action_id'].slice(0, 40)}` };
      const user = body['user'];
      if (!isObj(user) || !id(user['id'])) return bad('the block action has no user');
      const a = actions[0];
      if (a['value'] !== undefined && a['value'] !== null && !str(a['value']))
        return bad('the block action has an invalid value');
      if (a['block_id'] !== undefined && !str(a['block_id'])) return bad('the block action has an invalid block_id');
      const ch = body['channel'];
      const container = body['container'];
      if (ch !== undefined && ch !== null && (!isObj(ch) || !id(ch['id'])))
        return bad('the block action has an invalid channel');
      if (container !== undefined && container !== null && !isObj(container))
        return bad('the block action has an invalid container');
      if (isObj(container)) {
        for (const k of ['channel_id', 'message_ts', 'thread_ts'])
          if (container[k] !== undefined && !str(container[k]))
            return bad(`the block action has an invalid container.${k}`);
      }
      const message = body['message'];
      if (
        message !== undefined &&
        message !== null &&
        (!isObj(message) ||
          (message['ts'] !== undefined && !str(message['ts'])) ||
          (message['thread_ts'] !== undefined && !str(message['thread_ts'])))
      ) {
        return bad('the block action has an invalid message');
      }
      if (body['response_url'] !== undefined && !str(body['response_url']))
        return bad('the block action has an invalid response_url');
      return { ok: true, kind: 'action' };
    }
    default:
      return str(body['type'])
        ? { ok: true, kind: 'ignored', why: `payload type ${body['type'].slice(0, 40)}` }
        : bad('the payload has no type');
  }
}
