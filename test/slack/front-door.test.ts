// The HTTP front door with the real Bolt app: malformed and null payloads get an answer (400) at once, timestamps
// outside ±5 minutes are refused, an identical signed request runs once, users never read a JS error message.
import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ReplayGuard } from '../../src/slack/front-door.ts';
import { loadConfig } from '../../src/slack/config.ts';
import { userFacing } from '../../src/slack/user-facing.ts';
import { startHarness } from './helpers/bot-harness.ts';
import type { Harness } from './helpers/bot-harness.ts';
import { RecordingServer } from './helpers/recording-server.ts';
import { blockAction, commandForm, mentionEvent, SIGNING_SECRET } from './helpers/slack-fixtures.ts';

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
const rec = new RecordingServer();
let h: Harness;

function signAt(body: string, ts: number): Record<string, string> {
  return {
    'x-slack-signature': 'v0=' + createHmac('sha256', SIGNING_SECRET).update(`v0:${ts}:${body}`).digest('hex'),
    'x-slack-request-timestamp': String(ts),
  };
}

/** Posts with a deadline: a request left unanswered fails the test instead of hanging it. */
async function post(
  body: string,
  contentType: string,
  headers: Record<string, string> = signAt(body, Math.floor(Date.now() / 1000)),
): Promise<{ status: number; text: string; ms: number }> {
  const t0 = performance.now();
  const r = await fetch(`http://127.0.0.1:${h.port!}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...headers },
    body,
    signal: AbortSignal.timeout(2500),
  });
  return { status: r.status, text: await r.text(), ms: performance.now() - t0 };
}

beforeAll(async () => {
  await rec.start();
  h = await startHarness(rec, 'http');
});
afterEach(async () => {
  await h.bot.idle();
  rec.reset();
});
afterAll(async () => {
  await h.bot.stop();
  await rec.stop();
});

describe('malformed signed payloads get a 400 at once, never a hang or a 500', () => {
  const form = (payload: unknown) => `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const action = (actionId: string) =>
    blockAction({ actionId, value: 'r1', threadTs: '1.1', messageTs: '1.1', responseUrl: 'http://x/' });
  const cases: Array<[string, string, string]> = [
    ['JSON body null', 'null', JSON_TYPE],
    ['JSON body a number', '42', JSON_TYPE],
    ['JSON body a list', '[1,2]', JSON_TYPE],
    ['JSON body a string', '"x"', JSON_TYPE],
    ['not JSON at all', '{"type":', JSON_TYPE],
    ['payload=null', 'payload=null', FORM],
    ['payload=[]', 'payload=%5B%5D', FORM],
    ['payload not JSON', 'payload=%7Bx', FORM],
    ['two payload fields', 'payload=%7B%7D&payload=%7B%7D', FORM],
    ['block action without user', form({ ...action('icsp_run_pool'), user: undefined }), FORM],
    ['block action with user null', form({ ...action('icsp_show_diff'), user: null }), FORM],
    [
      'block action with channel null (Bolt itself reads channel.id: found by the fuzz test)',
      form({ ...action('icsp_run_pool'), channel: null }),
      FORM,
    ],
    [
      'event callback with authorizations null',
      JSON.stringify({ ...mentionEvent({ text: 'x' }), authorizations: null }),
      JSON_TYPE,
    ],
    ['block action with actions null', form({ type: 'block_actions', user: { id: 'U1' }, actions: null }), FORM],
    [
      'block action with a numeric value',
      form({ type: 'block_actions', user: { id: 'U1' }, actions: [{ action_id: 'icsp_run_pool', value: 5 }] }),
      FORM,
    ],
    [
      'slash command without text',
      commandForm({ text: '', responseUrl: 'http://x/' }).replace(/&text=[^&]*/, ''),
      FORM,
    ],
    [
      'slash command without user',
      commandForm({ text: 'help', responseUrl: 'http://x/' }).replace(/&user_id=[^&]*/, ''),
      FORM,
    ],
    [
      'app_mention with numeric text',
      JSON.stringify({
        ...mentionEvent({ text: 'x' }),
        event: { ...(mentionEvent({ text: 'x' }).event as object), text: 5 },
      }),
      JSON_TYPE,
    ],
    ['event_callback without event', JSON.stringify({ type: 'event_callback', event: null }), JSON_TYPE],
    ['no type', JSON.stringify({ hello: 1 }), JSON_TYPE],
  ];
  for (const [name, body, type] of cases) {
    it(name, async () => {
      const r = await post(body, type);
      expect(r.status).toBe(400);
      expect(r.ms).toBeLessThan(1000);
      expect(r.text).not.toMatch(/TypeError|is not a function|Cannot read/);
      await h.bot.idle();
      expect(rec.calls.filter((c) => c.method !== 'auth.test')).toHaveLength(0);
      expect(rec.responses).toHaveLength(0);
    });
  }

  it('well-formed payloads the bot does not handle are acknowledged at once (200), not left for 3 s', async () => {
    for (const body of [
      JSON.stringify({ ...mentionEvent({ text: 'x' }), event: { type: 'reaction_added', user: 'U1' } }),
      JSON.stringify({ type: 'view_submission', user: { id: 'U1' } }),
    ]) {
      const r = await post(body, JSON_TYPE);
      expect(r.status).toBe(200);
      expect(r.ms).toBeLessThan(1000);
    }
  });

  it('a body over the limit gets 413', async () => {
    const r = await post(`text=${'a'.repeat(5 * 1024 * 1024)}`, FORM);
    expect(r.status).toBe(413);
  });
});

describe('timestamps and replays', () => {
  it('refuses a timestamp more than 5 minutes in the future, like an old one', async () => {
    const body = commandForm({ text: 'help', responseUrl: rec.responseUrl('future') });
    const now = Math.floor(Date.now() / 1000);
    expect((await post(body, FORM, signAt(body, now + 310))).status).toBe(401);
    expect((await post(body, FORM, signAt(body, now + 10 * 365 * 86400))).status).toBe(401);
    expect((await post(body, FORM, signAt(body, now - 310))).status).toBe(401);
    await h.bot.idle();
    expect(rec.responses).toHaveLength(0);
    expect((await post(body, FORM, signAt(body, now + 200))).status).toBe(200);
    await h.bot.idle();
    expect(rec.responses).toHaveLength(1);
  });

  it('refuses a bad signature, and malformed signature headers', async () => {
    const body = commandForm({ text: 'help', responseUrl: rec.responseUrl('bad') });
    const now = Math.floor(Date.now() / 1000);
    expect((await post(body, FORM, { ...signAt(body, now), 'x-slack-signature': `v0=${'0'.repeat(64)}` })).status).toBe(
      401,
    );
    expect(
      (await post(body, FORM, { 'x-slack-signature': 'garbage', 'x-slack-request-timestamp': 'soon' })).status,
    ).toBe(401);
    expect((await post(body, FORM, {})).status).toBe(401);
  });

  it('runs an identical signed request once; a new signature runs again', async () => {
    const body = commandForm({ text: 'help', responseUrl: rec.responseUrl('replay'), trigger: 'trig-fixed' });
    const headers = signAt(body, Math.floor(Date.now() / 1000));
    const first = await post(body, FORM, headers);
    const again = await post(body, FORM, headers);
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    await h.bot.idle();
    expect(rec.responses).toHaveLength(1);
    expect(h.logLines.join('')).toContain('identical signed request already received');
    await post(body, FORM, signAt(body, Math.floor(Date.now() / 1000) - 1));
    await h.bot.idle();
    expect(rec.responses).toHaveLength(2);
  });

  it('remembers a bounded number of signatures', () => {
    const g = new ReplayGuard(100);
    for (let i = 0; i < 1000; i++) expect(g.firstTime(`s${i}`, 1000)).toBe(true);
    expect(g.size).toBeLessThanOrEqual(100);
    expect(g.firstTime('s999', 1000)).toBe(false);
    // Older than twice the window: forgotten (a timestamp that old is refused anyway).
    expect(g.firstTime('s998', 1000 + 601)).toBe(true);
  });
});

describe('what users read', () => {
  it('a JavaScript error becomes a sentence; our own messages stay', () => {
    expect(userFacing(new TypeError('text.replace is not a function'))).not.toContain('replace');
    expect(userFacing(new TypeError('x'))).toMatch(/internal error in the bot/);
    expect(userFacing(new Error('node "nope" not found'))).toBe('node "nope" not found');
  });

  it('a policy source that throws a JS error shows the user a sentence, not the JS message', async () => {
    const broken = await startHarness(
      rec,
      'http',
      {},
      {
        deps: {
          policySource: {
            cluster: 'x',
            explain: async () => {
              throw new TypeError("Cannot read properties of undefined (reading 'imageDigestMirrors')");
            },
          } as never,
        },
      },
    );
    try {
      const body = commandForm({ text: 'plan quay.io/a/b:1', responseUrl: rec.responseUrl('broken') });
      const r = await fetch(`http://127.0.0.1:${broken.port!}/slack/events`, {
        method: 'POST',
        headers: { 'content-type': FORM, ...signAt(body, Math.floor(Date.now() / 1000)) },
        body,
      });
      expect(r.status).toBe(200);
      await broken.bot.idle();
      const text = rec.responses.at(-1)!.body.text as string;
      expect(text).toContain('cannot read the policies');
      expect(text).not.toMatch(/Cannot read properties|undefined/);
    } finally {
      await broken.bot.stop();
    }
  });

  it('an invalid SLACK_API_URL is not echoed with its password', () => {
    for (const url of [
      'http//bob:hunter2secret@proxy.example/api/',
      'ftp://bob:hunter2secret@proxy.example/api/',
      'bob:hunter2secret@proxy',
    ]) {
      const r = loadConfig({
        SLACK_MODE: 'socket',
        SLACK_BOT_TOKEN: 'xoxb-1',
        SLACK_APP_TOKEN: 'xapp-1',
        SLACK_API_URL: url,
      });
      expect(r.ok).toBe(false);
      const all = r.ok ? '' : r.errors.join('\n');
      expect(all).toContain('SLACK_API_URL');
      expect(all).not.toContain('hunter2secret');
    }
  });
});
