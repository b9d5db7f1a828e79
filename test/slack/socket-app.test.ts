// The real Bolt app in Socket Mode: apps.connections.open on the recording server returns a ws://127.0.0.1 URL
// of a local server that speaks Slack's socket protocol (hello, envelopes, acks).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness } from './helpers/bot-harness.ts';
import type { Harness } from './helpers/bot-harness.ts';
import { RecordingServer } from './helpers/recording-server.ts';
import { APP_TOKEN, blockAction, commandPayload, mentionEvent } from './helpers/slack-fixtures.ts';
import { SocketServer } from './helpers/socket-server.ts';

const IMAGE = 'imagestore.co/repo/exampleimage:latest';
const rec = new RecordingServer();
const ws = new SocketServer();
let h: Harness;

beforeAll(async () => {
  await rec.start();
  await ws.start();
  rec.wsUrl = ws.url;
  h = await startHarness(rec, 'socket');
  await ws.connected;
});

afterAll(async () => {
  await h.bot.stop();
  await ws.stop();
  await rec.stop();
});

describe('Socket Mode', () => {
  it('opened the connection with the app-level token', () => {
    const open = rec.callsOf('apps.connections.open');
    expect(open.length).toBe(1);
    expect(open[0]!.authorization).toBe(`Bearer ${APP_TOKEN}`);
  });

  it('slash_commands envelope: acked by envelope_id, anchor + thread replies + files', async () => {
    rec.reset();
    const ack = await ws.send(
      'slash_commands',
      commandPayload({ text: `why ${IMAGE} node=worker-1`, responseUrl: rec.responseUrl('s1') }),
      { envelope_id: 'e-cmd-1' },
    );
    expect(ack.body.envelope_id).toBe('e-cmd-1');
    expect(ack.ms).toBeLessThan(1000);
    await h.bot.idle();
    const posts = rec.callsOf('chat.postMessage');
    expect(posts.length).toBe(3);
    expect(posts[0]!.params.thread_ts).toBeUndefined();
    expect(posts[1]!.params.thread_ts).toBeDefined();
    expect(posts[2]!.params.thread_ts).toBe(posts[1]!.params.thread_ts);
    expect(rec.callsOf('files.completeUploadExternal')[0]!.params.thread_ts).toBe(posts[1]!.params.thread_ts);
  });

  it('events_api app_mention: acked, answered in the mention thread; a re-delivered envelope is dropped', async () => {
    rec.reset();
    const ev = mentionEvent({ text: `<@UBOT0001> plan ${IMAGE}`, ts: '1700000001.000200', eventId: 'Ev0SOCK1' });
    const a1 = await ws.send('events_api', ev, { envelope_id: 'e-ev-1' });
    expect(a1.body.envelope_id).toBe('e-ev-1');
    const a2 = await ws.send('events_api', ev, { envelope_id: 'e-ev-2', retry_attempt: 1, retry_reason: 'timeout' });
    expect(a2.body.envelope_id).toBe('e-ev-2');
    await h.bot.idle();
    const posts = rec.callsOf('chat.postMessage');
    expect(posts.length).toBe(2);
    expect(posts.every((p) => p.params.thread_ts === '1700000001.000200')).toBe(true);
  });

  it('interactive envelope (button): acked, re-authorized, run posted to the thread', async () => {
    rec.reset();
    await ws.send(
      'slash_commands',
      commandPayload({ text: `why ${IMAGE} pool=infra`, responseUrl: rec.responseUrl('s2') }),
    );
    await h.bot.idle();
    const live = rec.callsOf('chat.postMessage').at(-1)!.params;
    const actions = (live.blocks as Array<{ type: string; elements?: Array<{ value: string }> }>).find(
      (b) => b.type === 'actions',
    )!;
    const ack = await ws.send(
      'interactive',
      blockAction({
        actionId: 'icsp_run_pool',
        value: actions.elements![0]!.value,
        threadTs: String(live.thread_ts),
        messageTs: '1.2',
        responseUrl: rec.responseUrl('s3'),
      }),
      { envelope_id: 'e-int-1' },
    );
    expect(ack.body.envelope_id).toBe('e-int-1');
    await h.bot.idle();
    expect(h.checker.requests.at(-1)!.selection).toEqual({ pool: 'infra' });
    expect(rec.callsOf('chat.postMessage').at(-1)!.params.thread_ts).toBe(live.thread_ts);
  });

  it('bad input over the socket: ephemeral error through response_url', async () => {
    rec.reset();
    await ws.send(
      'slash_commands',
      commandPayload({ text: 'why http://quay.io/x', responseUrl: rec.responseUrl('s4') }),
    );
    await h.bot.idle();
    expect(rec.responses[0]!.body.text).toBe(
      'icsp: bad image "http://quay.io/x": drop the URL scheme: a reference is host/path:tag, not a URL',
    );
  });
});
