// The pure parts: command parser, Block Kit budget, config validation, access control, logger redaction.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.ts';
import { explain } from '../../src/domain/explain.ts';
import {
  channelAllowed,
  ConcurrencyGate,
  InFlight,
  LiveAccess,
  RateLimiter,
  BusyError,
} from '../../src/slack/access.ts';
import { esc, fitMessage, LIMITS, liveMessage, messageChars, planMessage } from '../../src/slack/blocks.ts';
import { boltLogger } from '../../src/slack/bolt-logger.ts';
import { normalizeSlackText, parseCommand } from '../../src/slack/command-parser.ts';
import { loadConfig, SETTINGS } from '../../src/slack/config.ts';
import { callSlack } from '../../src/slack/slack-call.ts';
import type { Block } from '../../src/types/slack.ts';
import { nodeResult } from './helpers/slack-fixtures.ts';

describe('command parser', () => {
  it('parses the commands', () => {
    expect(parseCommand('why quay.io/a/b:1 node=worker-1')).toEqual({
      ok: true,
      command: { kind: 'why', image: 'quay.io/a/b:1', selection: { node: 'worker-1' }, live: true },
    });
    expect(parseCommand('why quay.io/a/b pool=infra --no-live')).toEqual({
      ok: true,
      command: { kind: 'why', image: 'quay.io/a/b', selection: { pool: 'infra' }, live: false },
    });
    expect(parseCommand('WHY quay.io/a/b nodes=all')).toMatchObject({
      ok: true,
      command: { selection: { nodes: 'all' } },
    });
    expect(parseCommand('why quay.io/a/b nodes=3')).toMatchObject({ ok: true, command: { selection: { nodes: 3 } } });
    expect(parseCommand('why quay.io/a/b')).toMatchObject({ ok: true, command: { selection: { default: true } } });
    expect(parseCommand('plan `quay.io/a/b@sha256:' + 'a'.repeat(64) + '`')).toMatchObject({
      ok: true,
      command: { kind: 'plan' },
    });
    expect(parseCommand('policies nexus')).toEqual({ ok: true, command: { kind: 'policies', filter: 'nexus' } });
    expect(parseCommand('status')).toEqual({ ok: true, command: { kind: 'status' } });
    expect(parseCommand('')).toEqual({ ok: true, command: { kind: 'help' } });
  });

  it('one parser for mentions and Slack markup', () => {
    expect(normalizeSlackText('<@U123ABC> why <http://quay.io/a/b:1|quay.io/a/b:1>')).toBe('why quay.io/a/b:1');
    expect(parseCommand('<@U123ABC|bot> plan quay.io/a/b:1')).toMatchObject({
      ok: true,
      command: { kind: 'plan', image: 'quay.io/a/b:1' },
    });
  });

  it('one-line errors', () => {
    const err = (t: string): string => {
      const r = parseCommand(t);
      if (r.ok) throw new Error('parsed');
      return r.error;
    };
    expect(err('why Quay.io/X')).toMatch(/^bad image "Quay.io\/X": /);
    expect(err('why <http://evil.example/x>')).toContain('drop the URL scheme');
    expect(err('why quay.io/a node=Bad_Name')).toContain('node= takes a node name');
    expect(err('why quay.io/a node=a pool=b')).toBe('give at most one of node=, pool= or nodes=');
    expect(err('why quay.io/a nodes=0')).toContain('nodes= takes');
    expect(err('why quay.io/a --force')).toBe('unknown option "--force"');
    expect(err('why a b')).toContain('exactly one IMAGE');
    expect(err('nope')).toBe('unknown subcommand "nope"');
    expect(err('why quay.io/a;rm\u0007')).not.toContain('\u0007');
    for (const t of ['why', 'plan', 'status x', 'why x y z']) expect(err(t)).not.toContain('\n');
  });
});

describe('Block Kit budget', () => {
  const policies = { icsps: [], idms: [], itms: [] };
  it('escapes user input so it never forms a mention or link', () => {
    expect(esc('<!channel> & <@U1>')).toBe('&lt;!channel&gt; &amp; &lt;@U1&gt;');
  });

  it('cuts long output: ≤ 50 blocks, ≤ 3000 per section, ≤ 12000 in all, fallback text set, flagged', () => {
    const e = explain({ reference: 'quay.io/a/b:1', policies });
    e.advice = Array.from({ length: 400 }, (_, i) => `advice line ${i} ${'x'.repeat(100)}`);
    const m = planMessage('c1', e);
    expect(m.truncated).toBe(true);
    expect(m.blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
    for (const b of m.blocks)
      if (b.type === 'section') expect(b.text.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(messageChars(m)).toBeLessThanOrEqual(LIMITS.totalChars);
    expect(m.text.length).toBeGreaterThan(0);
    expect(JSON.stringify(m.blocks)).toContain('attached file');
    expect(JSON.stringify(m.blocks.at(-1))).toContain('c1'); // the cluster line survives
  });

  it('many blocks: capped at 50, keeps the buttons', () => {
    const blocks: Block[] = Array.from({ length: 80 }, (_, i) => ({
      type: 'section',
      text: { type: 'mrkdwn', text: `s${i}` },
    }));
    blocks.push({
      type: 'actions',
      elements: [{ type: 'button', action_id: 'a', value: 'v', text: { type: 'plain_text', text: 'B' } }],
    });
    const m = fitMessage({ text: 't', blocks });
    expect(m.blocks.length).toBeLessThanOrEqual(50);
    expect(m.blocks.at(-1)!.type).toBe('actions');
    expect(m.truncated).toBe(true);
  });

  it('a single section over 3000 characters is clipped with a closed code fence', () => {
    const m = fitMessage({
      text: 't',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: 'head' } },
        { type: 'section', text: { type: 'mrkdwn', text: '```' + 'y'.repeat(5000) + '```' } },
      ],
    });
    const t = (m.blocks[1] as { text: { text: string } }).text.text;
    expect(t.length).toBeLessThanOrEqual(3000);
    expect(t).toMatch(/```\n… \(cut/);
  });

  it('live message with many nodes stays within limits', () => {
    const plan = explain({ reference: 'quay.io/a/b:1', policies });
    const nodes = Array.from({ length: 60 }, (_, i) =>
      nodeResult(`worker-${i}`, {
        verdict: { code: 'source-fallback', summary: 's'.repeat(400), reasons: ['r'.repeat(300)] },
      }),
    );
    const m = liveMessage({ cluster: 'c1', plan, nodes }, { requestId: 'r1', pool: 'worker', hasDifferences: true });
    expect(m.blocks.length).toBeLessThanOrEqual(50);
    expect(messageChars(m)).toBeLessThanOrEqual(LIMITS.totalChars);
    expect(m.blocks.some((b) => b.type === 'actions')).toBe(true);
    expect(m.truncated).toBe(true);
  });
});

describe('config', () => {
  it('one line per missing or invalid setting, secrets never echoed', () => {
    const r = loadConfig({
      SLACK_MODE: 'socket',
      SLACK_BOT_TOKEN: 'xoxp-secret-value',
      PORT: '99999',
      ICSP_ALLOWED_CHANNELS: 'C01,#ops',
      ICSP_RATE_LIMIT: 'lots',
      LOG_LEVEL: 'loud',
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([
      'SLACK_BOT_TOKEN: must start with xoxb- (value not shown)',
      'SLACK_APP_TOKEN: missing, required in socket mode (an app-level token xapp-... with connections:write)',
      'PORT: 99999 is outside 0..65535',
      'ICSP_ALLOWED_CHANNELS: "#ops" is not a channel ID (C..., G... or D...)',
      'ICSP_RATE_LIMIT: "lots" is not N/SECONDS with N, SECONDS >= 1 (e.g. 10/60)',
      'LOG_LEVEL: "loud" is not one of fatal, error, warn, info, debug, trace, silent',
    ]);
    expect(r.errors.join('\n')).not.toContain('secret-value');
  });

  it('defaults', () => {
    const r = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' });
    expect(r.ok && r.config).toMatchObject({
      mode: 'socket',
      port: 3000,
      allowedChannels: null,
      rateLimit: { max: 10, windowMs: 60_000 },
      maxConcurrentChecks: 2,
    });
    const h = loadConfig({
      SLACK_MODE: 'http',
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 's',
      SLACK_API_URL: 'http://127.0.0.1:1/api',
    });
    expect(h.ok && h.config.apiUrl).toBe('http://127.0.0.1:1/api/');
  });

  it('every setting read by loadConfig is documented in SETTINGS and docs/slack.md', async () => {
    const { readFileSync } = await import('node:fs');
    // Every variable loadConfig looks at, recorded as it reads them (socket and http mode).
    const read = new Set<string>();
    for (const mode of ['socket', 'http']) {
      loadConfig(
        new Proxy({ SLACK_MODE: mode } as Record<string, string | undefined>, {
          get: (t, k) => (typeof k === 'string' ? (read.add(k), t[k]) : undefined),
        }),
      );
    }
    expect(read.size).toBeGreaterThan(15);
    const documented = new Set(SETTINGS.map((s) => s.name));
    for (const name of read) expect(documented.has(name), name).toBe(true);
    const doc = readFileSync('docs/slack.md', 'utf8');
    for (const s of SETTINGS) expect(doc, s.name).toContain(`\`${s.name}\``);
  });
});

describe('access', () => {
  it('channels', () => {
    expect(channelAllowed(null, 'C1')).toBe(true);
    expect(channelAllowed(new Set(['C1']), 'C2')).toBe(false);
  });

  it('rate limiter: N per window per user', () => {
    let now = 0;
    const r = new RateLimiter(2, 1000, () => now);
    expect(r.take('u')).toBe(0);
    expect(r.take('u')).toBe(0);
    expect(r.take('u')).toBe(1000);
    expect(r.take('v')).toBe(0);
    now = 1001;
    expect(r.take('u')).toBe(0);
  });

  it('concurrency gate: cap, queue, refusal', async () => {
    const g = new ConcurrencyGate(1, 1);
    let release!: () => void;
    const first = g.run(() => new Promise<number>((r) => (release = () => r(1))));
    const second = g.run(async () => 2);
    await expect(g.run(async () => 3)).rejects.toBeInstanceOf(BusyError);
    expect(g.active).toBe(1);
    release();
    expect(await first).toBe(1);
    expect(await second).toBe(2);
    expect(g.active).toBe(0);
  });

  it('in-flight sharing', async () => {
    const f = new InFlight<number>();
    let calls = 0;
    const a = f.run('k', async () => ++calls);
    const b = f.run('k', async () => ++calls);
    expect(b.shared).toBe(true);
    expect(await a.promise).toBe(1);
    expect(await b.promise).toBe(1);
    expect(f.size).toBe(0);
  });

  it('live access: users, groups (cached), lookup failure with stale cache', async () => {
    let now = 0;
    let lookups = 0;
    let failing = false;
    const a = new LiveAccess(
      ['U1', 'S1'],
      async () => {
        lookups += 1;
        if (failing) throw new Error('down');
        return ['U2'];
      },
      1000,
      () => now,
    );
    expect(await a.mayRunLive('U1')).toBe(true);
    expect(await a.mayRunLive('U2')).toBe(true);
    expect(await a.mayRunLive('U3')).toBe(false);
    expect(lookups).toBe(1);
    now = 2000;
    failing = true;
    expect(await a.mayRunLive('U2')).toBe(true);
    // Membership older than twice the TTL no longer counts while Slack cannot be asked.
    now = 2001;
    await expect(a.mayRunLive('U2')).rejects.toThrow('down');
    const b = new LiveAccess(
      ['S1'],
      async () => {
        throw new Error('down');
      },
      1000,
    );
    await expect(b.mayRunLive('U2')).rejects.toThrow('down');
  });
});

describe('Slack call retries', () => {
  it('honours Retry-After, bounded in count and wait', async () => {
    const slept: number[] = [];
    const sleep = async (ms: number): Promise<void> => {
      slept.push(ms);
    };
    const limited = Object.assign(new Error('rl'), { code: 'slack_webapi_rate_limited_error', retryAfter: 2 });
    let n = 0;
    expect(
      await callSlack({ retries: 3, maxRetryAfterMs: 30_000, sleep }, async () =>
        ++n < 3 ? Promise.reject(limited) : 'ok',
      ),
    ).toBe('ok');
    expect(slept).toEqual([2000, 2000]);
    await expect(
      callSlack({ retries: 1, maxRetryAfterMs: 30_000, sleep }, async () => Promise.reject(limited)),
    ).rejects.toBe(limited);
    const long = Object.assign(new Error('rl'), { code: 'slack_webapi_rate_limited_error', retryAfter: 600 });
    await expect(
      callSlack({ retries: 3, maxRetryAfterMs: 30_000, sleep }, async () => Promise.reject(long)),
    ).rejects.toBe(long);
  });
});

describe('logger redaction', () => {
  it('tokens and secrets never reach a log line', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(c, _e, cb) {
        lines.push(String(c));
        cb();
      },
    });
    const secret = 'my-signing-secret-123';
    const log = createLogger({ level: 'debug', secrets: [secret], destination });
    log.info(
      {
        token: 'xoxb-1-2-abc',
        config: { botToken: 'xoxb-9', signingSecret: secret },
        headers: { authorization: 'Bearer xoxb-3' },
      },
      'start',
    );
    log.info({ note: 'sent with xoxb-1234-5678-abcdef and xapp-1-A1-999' }, `secret is ${secret}`);
    log.error(new Error('failed: token=xoxb-777-888'));
    const bolt = boltLogger(log);
    bolt.setName('web-api');
    bolt.debug('http request headers: {"Authorization":"Bearer xoxb-42-42-zz"}', { appToken: 'xapp-1-2' });
    const all = lines.join('');
    for (const s of [
      'xoxb-1-2-abc',
      'xoxb-9',
      'xoxb-3',
      'xoxb-1234',
      'xapp-1-A1',
      secret,
      'xoxb-777',
      'xoxb-42',
      'xapp-1-2',
    ])
      expect(all).not.toContain(s);
    expect(all).toContain('[REDACTED]');
    expect(lines.length).toBe(4);
  });
});
