// The real Bolt app over HTTP: signed requests to /slack/events, Web API calls to the local recording server.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS, messageChars } from '../../src/slack/blocks.ts';
import { METHOD_SCOPES } from '../../src/slack/scopes.ts';
import type { Block } from '../../src/types/slack.ts';
import { startHarness } from './helpers/bot-harness.ts';
import type { Harness } from './helpers/bot-harness.ts';
import { RecordingServer } from './helpers/recording-server.ts';
import {
  APP_TOKEN,
  blockAction,
  BOT_TOKEN,
  commandForm,
  mentionEvent,
  postSigned,
  SIGNING_SECRET,
} from './helpers/slack-fixtures.ts';

const FORM = 'application/x-www-form-urlencoded';
const IMAGE = 'imagestore.co/repo/exampleimage:latest';
const rec = new RecordingServer();
let h: Harness;

function blocksOf(p: Record<string, unknown>): Block[] {
  return p.blocks as Block[];
}

function assertWithinLimits(p: Record<string, unknown>): void {
  const blocks = blocksOf(p);
  expect(typeof p.text).toBe('string');
  expect((p.text as string).length).toBeGreaterThan(0);
  expect(blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
  for (const b of blocks) if (b.type === 'section') expect(b.text.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
  expect(messageChars({ text: '', blocks })).toBeLessThanOrEqual(LIMITS.totalChars);
}

async function command(
  text: string,
  extra: { user?: string; channel?: string } = {},
): Promise<{ status: number; ms: number }> {
  return postSigned(h.port!, commandForm({ text, responseUrl: rec.responseUrl('cmd'), ...extra }), FORM);
}

beforeAll(async () => {
  await rec.start();
  rec.groups.set('SOPS0001', ['U0002']);
  h = await startHarness(rec, 'http');
});

afterEach(async () => {
  await h.bot.idle();
  // Every Web API method the bot really called is in the scope table (the manifest test checks the table).
  for (const c of rec.calls) expect(Object.keys(METHOD_SCOPES)).toContain(c.method);
  rec.reset();
});

afterAll(async () => {
  await h.bot.stop();
  await rec.stop();
  // No token or secret in any log line.
  const all = h.logLines.join('');
  expect(all.length).toBeGreaterThan(0);
  for (const s of [BOT_TOKEN, APP_TOKEN, SIGNING_SECRET]) expect(all).not.toContain(s);
});

describe('slash command over signed HTTP', () => {
  it('acks at once, posts an anchor, the plan and the live evidence in its thread, and uploads the files', async () => {
    const r = await command(`why ${IMAGE} node=worker-3`);
    expect(r.status).toBe(200);
    expect(r.ms).toBeLessThan(1000);
    await h.bot.idle();
    const posts = rec.callsOf('chat.postMessage');
    expect(posts.length).toBe(3);
    const [anchor, plan, live] = posts.map((c) => c.params);
    expect(anchor!.channel).toBe('C0001');
    expect(anchor!.thread_ts).toBeUndefined();
    expect(anchor!.text).toContain('test-cluster');
    expect(JSON.stringify(anchor!.blocks)).toContain('tag-pull-skips-digest-mirrors');
    expect(JSON.stringify(anchor!.blocks)).toContain('<@U0001>');
    const anchorTs = rec.calls.find((c) => c.method === 'chat.postMessage')!;
    expect(anchorTs).toBeDefined();
    expect(plan!.thread_ts).toBeDefined();
    expect(live!.thread_ts).toBe(plan!.thread_ts);
    expect(JSON.stringify(plan!.blocks)).toContain('Pull plan, in the order the node tries it');
    expect(JSON.stringify(live!.blocks)).toContain('worker-3');
    expect(JSON.stringify(live!.blocks)).toContain('icsp_run_pool');
    expect(JSON.stringify(live!.blocks)).toContain('icsp_show_diff');
    expect(JSON.stringify(live!.blocks)).toContain('icsp_run_node');
    for (const p of posts) {
      assertWithinLimits(p.params);
      expect(JSON.stringify(p.params)).toContain('test-cluster');
    }
    expect(h.checker.requests.at(-1)).toEqual({ image: IMAGE, selection: { node: 'worker-3' }, requestedBy: 'U0001' });
    // files.uploadV2: getUploadURLExternal per file, bytes to the upload URL, completeUploadExternal into the thread
    expect(
      rec
        .callsOf('files.getUploadURLExternal')
        .map((c) => c.params.filename)
        .sort(),
    ).toEqual(['worker-3-podman-debug.log', 'worker-3-registries.conf']);
    expect(rec.uploads.map((u) => u.body).join('')).toContain('# worker-3');
    const complete = rec.callsOf('files.completeUploadExternal');
    expect(complete.length).toBe(1);
    expect(complete[0]!.params.channel_id).toBe('C0001');
    expect(complete[0]!.params.thread_ts).toBe(plan!.thread_ts);
    // the Web API saw the bot token in the Authorization header
    expect(rec.calls.every((c) => c.authorization === `Bearer ${BOT_TOKEN}`)).toBe(true);
    expect(h.logLines.join('')).toContain('"audit":true');
  });

  it('refuses a bad signature and a stale timestamp (401), and the listener never runs', async () => {
    const body = commandForm({ text: `why ${IMAGE}`, responseUrl: rec.responseUrl('x') });
    const bad = await postSigned(h.port!, body, FORM, {}, 'wrong-secret-xxxxxxxx');
    expect(bad.status).toBe(401);
    const old = await fetch(`http://127.0.0.1:${h.port}/slack/events`, {
      method: 'POST',
      body,
      headers: {
        'content-type': FORM,
        ...(await import('./helpers/slack-fixtures.ts')).sign(
          body,
          SIGNING_SECRET,
          Math.floor(Date.now() / 1000) - 600,
        ),
      },
    });
    expect(old.status).toBe(401);
    await h.bot.idle();
    expect(rec.calls).toEqual([]);
  });

  it('answers a malformed image with an ephemeral one-line error and the usage, and posts nothing', async () => {
    await command('why Quay.io/Foo:bar');
    await h.bot.idle();
    expect(rec.callsOf('chat.postMessage')).toEqual([]);
    expect(rec.responses.length).toBe(1);
    const r = rec.responses[0]!.body;
    expect(r.response_type).toBe('ephemeral');
    expect(r.text).toMatch(/^icsp: bad image "Quay.io\/Foo:bar": /);
    expect(JSON.stringify(r.blocks)).toContain('usage: /icsp why IMAGE');
  });

  it('unknown subcommand: ephemeral error', async () => {
    await command('frobnicate x');
    await h.bot.idle();
    expect(rec.responses[0]!.body.text).toBe('icsp: unknown subcommand "frobnicate"');
  });

  it(
    'users not in ICSP_LIVE_USERS get the plan and a clear ' + 'note, no live check; group members may run it',
    async () => {
      const before = h.checker.requests.length;
      await command(`why ${IMAGE}`, { user: 'U0009' });
      await h.bot.idle();
      expect(h.checker.requests.length).toBe(before);
      const posts = rec.callsOf('chat.postMessage');
      expect(posts.length).toBe(2);
      expect(JSON.stringify(posts[0]!.params.blocks)).toContain(
        'live checks are limited to the users and groups in ICSP_LIVE_USERS',
      );
      expect(rec.callsOf('usergroups.users.list').length).toBe(1);
      rec.reset();
      await command(`why ${IMAGE}`, { user: 'U0002' });
      await command(`why ${IMAGE}`, { user: 'U0002' });
      await h.bot.idle();
      expect(h.checker.requests.length).toBe(before + 2);
      // the group membership was looked up once and cached
      expect(rec.callsOf('usergroups.users.list').length).toBe(0);
    },
  );

  it('falls back to an ephemeral answer with invite advice when the bot is not in the channel', async () => {
    rec.notInChannel.add('G0PRIV');
    await command(`why ${IMAGE}`, { channel: 'G0PRIV' });
    await h.bot.idle();
    expect(rec.responses.length).toBe(3);
    expect(rec.responses.every((r) => r.body.response_type === 'ephemeral')).toBe(true);
    expect(rec.responses[2]!.body.text).toContain('/invite @icsp-bot');
    expect(rec.responses[0]!.body.text).toContain('test-cluster');
  });

  it('retries a 429 after its Retry-After and still threads the answer', async () => {
    rec.fail('chat.postMessage', { status: 429, retryAfter: 7, times: 1 });
    h.sleeps.length = 0;
    await command(`plan ${IMAGE}`);
    await h.bot.idle();
    const posts = rec.callsOf('chat.postMessage');
    expect(posts.length).toBe(3); // the refused one, then anchor and plan
    expect(h.sleeps).toEqual([7000]); // Retry-After honoured
    expect(posts[2]!.params.thread_ts).toBeDefined();
  });

  it('reports a Slack failure that is not retryable instead of dropping it', async () => {
    rec.fail('chat.postMessage', { error: 'invalid_blocks', times: 5 });
    await command(`plan ${IMAGE}`);
    await h.bot.idle();
    expect(rec.responses.at(-1)!.body.text).toBe('icsp: something went wrong: invalid_blocks');
    expect(h.logLines.join('')).toContain('request failed');
  });

  it('a live-check failure (unknown node) gives an ephemeral error and a note in the thread', async () => {
    h.checker.failWith = 'node "nope" not found';
    try {
      await command(`why ${IMAGE} node=nope`);
      await h.bot.idle();
    } finally {
      h.checker.failWith = undefined;
    }
    expect(rec.responses.at(-1)!.body.text).toBe('icsp: live check on node nope failed: node "nope" not found');
    const last = rec.callsOf('chat.postMessage').at(-1)!.params;
    expect(last.thread_ts).toBeDefined();
    expect(last.text).toContain('Live check failed');
  });

  it('buttons: run on the pool, another node, show the difference; each press re-authorized', async () => {
    await command(`why ${IMAGE} pool=worker`);
    await h.bot.idle();
    const live = rec.callsOf('chat.postMessage').at(-1)!.params;
    const thread = String(live.thread_ts);
    const actions = blocksOf(live).find((b) => b.type === 'actions');
    expect(actions?.type).toBe('actions');
    const requestId = actions!.type === 'actions' ? actions!.elements[0]!.value : '';
    const input = blocksOf(live).find((b) => b.type === 'input');
    rec.reset();
    const press = (p: Parameters<typeof blockAction>[0]) =>
      postSigned(h.port!, new URLSearchParams({ payload: JSON.stringify(blockAction(p)) }).toString(), FORM);
    const base = { threadTs: thread, messageTs: '1700000000.000999', responseUrl: rec.responseUrl('act') };

    expect((await press({ ...base, actionId: 'icsp_run_pool', value: requestId })).status).toBe(200);
    await h.bot.idle();
    expect(h.checker.requests.at(-1)!.selection).toEqual({ pool: 'worker' });
    expect(rec.callsOf('chat.postMessage').every((c) => c.params.thread_ts === thread)).toBe(true);

    await press({ ...base, actionId: 'icsp_run_node', value: 'worker-7', blockId: input?.block_id });
    await h.bot.idle();
    expect(h.checker.requests.at(-1)!.selection).toEqual({ node: 'worker-7' });

    const n = h.checker.requests.length;
    await press({ ...base, actionId: 'icsp_run_pool', value: requestId, user: 'U0009' });
    await h.bot.idle();
    expect(h.checker.requests.length).toBe(n);
    expect(rec.responses.at(-1)!.body.text).toContain('limited to the users and groups in ICSP_LIVE_USERS');

    await press({ ...base, actionId: 'icsp_run_node', value: 'Bad Name', blockId: input?.block_id });
    await h.bot.idle();
    expect(rec.responses.at(-1)!.body.text).toContain('node= takes a node name');

    rec.reset();
    await press({ ...base, actionId: 'icsp_show_diff', value: requestId });
    await h.bot.idle();
    const diff = rec.callsOf('chat.postMessage');
    expect(diff.length).toBe(2);
    expect(diff[0]!.params.thread_ts).toBe(thread);
    expect(JSON.stringify(diff[0]!.params.blocks)).toContain('missing-mirror');

    await press({ ...base, actionId: 'icsp_show_diff', value: 'r-forged' });
    await h.bot.idle();
    expect(rec.responses.at(-1)!.body.text).toContain('expired');
  });

  it('identical requests in flight share one live check; the concurrency cap holds', async () => {
    h.checker.delayMs = 150;
    h.checker.maxActive = 0;
    const before = h.checker.requests.length;
    try {
      await Promise.all([command(`why ${IMAGE} node=a`), command(`why ${IMAGE} node=a`, { user: 'U0002' })]);
      await h.bot.idle();
      expect(h.checker.requests.length).toBe(before + 1);
      expect(rec.callsOf('chat.postMessage').filter((c) => String(c.params.text).includes('live check')).length).toBe(
        2,
      );
      await Promise.all(['b', 'c', 'd', 'e'].map((n) => command(`why ${IMAGE} node=${n}`, { user: 'U0002' })));
      await h.bot.idle();
      expect(h.checker.maxActive).toBeLessThanOrEqual(2);
    } finally {
      h.checker.delayMs = 0;
    }
  });

  it(
    'app_mention in a thread: answers into that thread, no ' + 'anchor in the channel; Slack retries are dropped',
    async () => {
      const ev = mentionEvent({
        text: `<@UBOT0001> why ${IMAGE} --no-live`,
        ts: '1700000000.000500',
        threadTs: '1700000000.000100',
        eventId: 'Ev0MENTION1',
      });
      const r1 = await postSigned(h.port!, JSON.stringify(ev), 'application/json');
      expect(r1.status).toBe(200);
      const r2 = await postSigned(h.port!, JSON.stringify(ev), 'application/json', {
        'x-slack-retry-num': '1',
        'x-slack-retry-reason': 'http_timeout',
      });
      expect(r2.status).toBe(200);
      await h.bot.idle();
      const posts = rec.callsOf('chat.postMessage');
      expect(posts.length).toBe(2);
      expect(posts.every((p) => p.params.thread_ts === '1700000000.000100')).toBe(true);
      expect(JSON.stringify(posts[0]!.params.blocks)).toContain('--no-live');
      expect(h.logLines.join('')).toContain('duplicate event dropped');
    },
  );

  it('app_mention errors are ephemeral (chat.postEphemeral) in the thread', async () => {
    await postSigned(
      h.port!,
      JSON.stringify(mentionEvent({ text: '<@UBOT0001> why', ts: '1700000000.000700' })),
      'application/json',
    );
    await h.bot.idle();
    const e = rec.callsOf('chat.postEphemeral');
    expect(e.length).toBe(1);
    expect(e[0]!.params.user).toBe('U0001');
    expect(e[0]!.params.thread_ts).toBe('1700000000.000700');
    expect(e[0]!.params.text).toBe('icsp: why needs an IMAGE');
  });

  it('answers the url_verification challenge', async () => {
    const r = await postSigned(
      h.port!,
      JSON.stringify({ type: 'url_verification', challenge: 'abc123', token: 't' }),
      'application/json',
    );
    expect(r.status).toBe(200);
    expect(r.text).toContain('abc123');
  });

  it('policies, help and status (no cluster) answer ephemerally', async () => {
    await command('policies nexus');
    await command('help');
    await command('status');
    await h.bot.idle();
    const texts = rec.responses.map((r) => JSON.stringify(r.body));
    expect(texts[0]).toContain('ImageContentSourcePolicy/ibm-cp-common-services');
    expect(texts[1]).toContain('/icsp why IMAGE');
    expect(texts[2]).toContain('status needs a cluster');
  });
});

describe('offline mode and allowed channels', () => {
  it('no cluster: plans from files and says live checks are off; other channels are refused', async () => {
    const rec2 = new RecordingServer();
    await rec2.start();
    const h2 = await startHarness(
      rec2,
      'http',
      { ICSP_ALLOWED_CHANNELS: 'C0001', ICSP_RATE_LIMIT: '10/60' },
      { live: false },
    );
    try {
      await postSigned(h2.port!, commandForm({ text: `why ${IMAGE}`, responseUrl: rec2.responseUrl('a') }), FORM);
      await postSigned(
        h2.port!,
        commandForm({ text: `why ${IMAGE}`, channel: 'C0OTHER', responseUrl: rec2.responseUrl('b') }),
        FORM,
      );
      await h2.bot.idle();
      const posts = rec2.callsOf('chat.postMessage');
      expect(posts.length).toBe(2);
      expect(JSON.stringify(posts[0]!.params.blocks)).toContain('live checks are off: no cluster');
      expect(rec2.responses.find((r) => r.id === 'b')!.body.text).toContain('does not answer in this channel');
      // per-user rate limit (default 10 per 60 s)
      for (let i = 0; i < 11; i++)
        await postSigned(
          h2.port!,
          commandForm({ text: 'help', user: 'U0RATE', responseUrl: rec2.responseUrl(`r${i}`) }),
          FORM,
        );
      await h2.bot.idle();
      expect(rec2.responses.find((r) => r.id === 'r9')!.body.text).toContain('icsp-bot');
      expect(rec2.responses.find((r) => r.id === 'r10')!.body.text).toMatch(
        /^icsp: rate limit: too many requests, try again in \d+ s$/,
      );
    } finally {
      await h2.bot.stop();
      await rec2.stop();
    }
  });
});
