// Seeded, time-bounded fuzzing of the Slack endpoint with the real Bolt app over HTTP: signed and unsigned requests,
// mutated slash commands, mentions and block actions, random JSON and form bodies. Every request is answered
// (200, 400, 401 or 413; never 500, never a 404 after Bolt's 3 s timeout, never a hang), users never read a JS
// error, and memory stays bounded. The seed is printed with any failure; ICSP_FUZZ_SEED=<seed> replays it.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzFor, fuzzSeed, mutate, randomValue, within } from '../helpers/fuzz.ts';
import type { Rng } from '../helpers/fuzz.ts';
import { startHarness } from './helpers/bot-harness.ts';
import type { Harness } from './helpers/bot-harness.ts';
import { RecordingServer } from './helpers/recording-server.ts';
import { blockAction, commandForm, mentionEvent, SIGNING_SECRET } from './helpers/slack-fixtures.ts';

const BUDGET_MS = Number(process.env['ICSP_FUZZ_MS'] ?? 6000);
const rec = new RecordingServer();
let h: Harness;

beforeAll(async () => {
  await rec.start();
  h = await startHarness(rec, 'http');
});
afterAll(async () => {
  await h.bot.stop();
  await rec.stop();
});

interface Req {
  what: string;
  body: string;
  contentType: string;
  headers: Record<string, string>;
}

function sign(body: string, ts: number, secret = SIGNING_SECRET): Record<string, string> {
  return {
    'x-slack-signature': 'v0=' + createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex'),
    'x-slack-request-timestamp': String(ts),
  };
}

const TEXTS = [
  'help',
  'why imagestore.co/repo/exampleimage:latest',
  'plan quay.io/a/b:1',
  'policies',
  'status',
  'why -x',
  'why a node=worker-1',
  'why a/b:1 nodes=all --no-live',
  '',
];

function body(r: Rng): { what: string; body: string; contentType: string } {
  const form = 'application/x-www-form-urlencoded';
  const json = 'application/json';
  const payload = (v: unknown): string =>
    `payload=${encodeURIComponent((typeof v === 'string' ? v : JSON.stringify(v)).toWellFormed())}`;
  const action = (): Record<string, unknown> =>
    blockAction({
      actionId: r.pick(['icsp_run_node', 'icsp_run_pool', 'icsp_show_diff', 'other']),
      value: r.pick(['r1-x', '', 'worker-1']),
      threadTs: '1.1',
      messageTs: '1.1',
      responseUrl: rec.responseUrl('fz'),
    });
  switch (r.int(8)) {
    case 0:
      return {
        what: 'command',
        body: commandForm({
          text: mutate(r, r.pick(TEXTS), r.int(3)),
          responseUrl: rec.responseUrl('fz'),
          trigger: `t${r.int(1e9)}`,
        }),
        contentType: form,
      };
    case 1:
      return {
        what: 'mutated command form',
        body: mutate(r, commandForm({ text: r.pick(TEXTS), responseUrl: rec.responseUrl('fz') })),
        contentType: form,
      };
    case 2:
      return {
        what: 'mention',
        body: r.chance(0.5)
          ? JSON.stringify(mentionEvent({ text: `<@UBOT0001> ${r.pick(TEXTS)}` }))
          : mutate(r, JSON.stringify(mentionEvent({ text: `<@UBOT0001> ${r.pick(TEXTS)}` }))),
        contentType: json,
      };
    case 3:
      return {
        what: 'block action',
        body: payload(r.chance(0.5) ? action() : mutate(r, JSON.stringify(action()))),
        contentType: form,
      };
    case 4: {
      const a = action();
      const keys = Object.keys(a);
      a[r.pick(keys)] = randomValue(r, 2);
      return { what: 'block action with a random field', body: payload(a), contentType: form };
    }
    case 5:
      return { what: 'random JSON', body: JSON.stringify(randomValue(r)), contentType: r.pick([json, 'text/plain']) };
    case 6:
      return {
        what: 'random payload',
        body: payload(r.chance(0.3) ? 'null' : JSON.stringify(randomValue(r))),
        contentType: form,
      };
    default:
      return {
        what: 'random bytes',
        body: r.string('{}[]":,a=&%\n\u0000payload null', 200),
        contentType: r.pick([json, form]),
      };
  }
}

function request(r: Rng): Req {
  const b = body(r);
  const now = Math.floor(Date.now() / 1000);
  switch (r.int(6)) {
    case 0:
      return { ...b, what: `${b.what}, unsigned`, headers: {} };
    case 1:
      return { ...b, what: `${b.what}, wrong secret`, headers: sign(b.body, now, 'wrong-secret') };
    case 2:
      return {
        ...b,
        what: `${b.what}, skewed timestamp`,
        headers: sign(b.body, now + r.pick([-3600, -320, 320, 86400 * 365])),
      };
    case 3:
      return {
        ...b,
        what: `${b.what}, garbage headers`,
        headers: {
          'x-slack-signature': r.string('v0=abc', 70),
          'x-slack-request-timestamp': r.pick(['', '-1', '1e12', 'NaN', String(now)]),
        },
      };
    default:
      return { ...b, what: `${b.what}, signed`, headers: sign(b.body, now) };
  }
}

describe('fuzzing the Slack endpoint', () => {
  it(`answers ${BUDGET_MS} ms of generated requests`, { timeout: BUDGET_MS + 60_000 }, async () => {
    const seed = fuzzSeed();
    const rssStart = process.memoryUsage().rss;
    const statuses = new Map<number, number>();
    const n = await fuzzFor(BUDGET_MS, seed, async (r, i) => {
      const q = request(r);
      const where =
        `seed=${seed} (ICSP_FUZZ_SEED=${seed} replays it) case ` +
        `#${i} ${q.what}: ${JSON.stringify(q.body.slice(0, 3000))}`;
      const res = await within(
        5000,
        fetch(`http://127.0.0.1:${h.port!}/slack/events`, {
          method: 'POST',
          headers: { 'content-type': q.contentType, ...q.headers },
          body: q.body,
        }).then(async (x) => ({ status: x.status, text: await x.text() })),
        where,
      );
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect([200, 400, 401, 413], `${where}\nstatus ${res.status}`).toContain(res.status);
      expect(res.text, where).not.toMatch(/TypeError|is not a function|Cannot read properties/);
      if (!q.what.endsWith(', signed'))
        expect(res.status, `${where}\nan unsigned or mis-signed request was accepted`).not.toBe(200);
    });
    await within(30_000, h.bot.idle(), `seed=${seed}: background work after the fuzz run`);
    const userTexts = [
      ...rec.responses.map((x) => JSON.stringify(x.body)),
      ...rec.calls.map((c) => JSON.stringify(c.params)),
    ].join('\n');
    expect(userTexts, `seed=${seed}: a user saw a JS error`).not.toMatch(
      /is not a function|Cannot read properties|TypeError|RangeError/,
    );
    const grew = process.memoryUsage().rss - rssStart;
    expect(grew, `seed=${seed}: memory grew by ${(grew / 1e6).toFixed(0)} MB`).toBeLessThan(400e6);
    expect(n).toBeGreaterThan(20);
    console.log(
      `slack fuzz: ${n} requests in ${BUDGET_MS} ms, seed ${seed}, ` +
        `statuses ${JSON.stringify(Object.fromEntries(statuses))}, RSS +${(grew / 1e6).toFixed(0)} MB`,
    );
  });
});
