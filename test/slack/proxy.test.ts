// The bot behind a corporate proxy, as on a disconnected cluster: the real process (node src/main.ts) reaches the
// local stand-in for Slack (`slack.test`, HTTPS and WSS with a certificate from a test CA) only through a real
// tinyproxy with basic auth — only the proxy can resolve slack.test. NODE_EXTRA_CA_CERTS carries the test CA, as the
// Deployment does with the cluster's trusted CA bundle. Proxy credentials never appear in the bot's output.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingServer } from './helpers/recording-server.ts';
import {
  APP_TOKEN,
  BOT_TOKEN,
  commandForm,
  commandPayload,
  postSigned,
  SIGNING_SECRET,
} from './helpers/slack-fixtures.ts';
import { SocketServer } from './helpers/socket-server.ts';
import { freePort, makeTestCa, missingProxyTools, PROXY_PASSWORD, SLACK_HOST, TinyProxy } from './helpers/proxy-env.ts';
import type { TestCa } from './helpers/proxy-env.ts';

const IMAGE = 'imagestore.co/repo/exampleimage:latest';

interface Bot {
  output(): string;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

function startBot(env: Record<string, string>): Bot {
  const child = spawn(process.execPath, ['src/main.ts'], {
    env: {
      PATH: process.env.PATH ?? '',
      ICSP_METRICS_HOST: '127.0.0.1',
      ICSP_POLICIES: 'examples/',
      LOG_LEVEL: 'debug',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += String(d)));
  child.stderr.on('data', (d) => (out += String(d)));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return {
    output: () => out,
    exited,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function readyz(port: number): Promise<{ status: number; text: string } | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/readyz`);
    return { status: r.status, text: await r.text() };
  } catch {
    return undefined;
  }
}

let ca: TestCa;
const proxy = new TinyProxy();
let rec: RecordingServer;
let ws: SocketServer;

beforeAll(async () => {
  const missing = missingProxyTools();
  if (missing.length > 0) throw new Error(`the proxy tests need: ${missing.join('; ')}`);
  ca = makeTestCa();
  rec = new RecordingServer({ tls: { key: ca.key, cert: ca.cert }, host: SLACK_HOST });
  ws = new SocketServer({ tls: { key: ca.key, cert: ca.cert }, host: SLACK_HOST });
  await rec.start();
  await ws.start();
  rec.wsUrl = ws.url;
  await proxy.start();
});

afterAll(async () => {
  await proxy.dispose();
  await ws?.stop();
  await rec?.stop();
});

describe('Slack through an HTTPS proxy with the cluster CA', () => {
  it(
    'Socket Mode: connects only through the proxy, answers, says so in /readyz, recovers after a proxy outage',
    { timeout: 120_000 },
    async () => {
      const metrics = await freePort();
      const bot = startBot({
        SLACK_MODE: 'socket',
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_APP_TOKEN: APP_TOKEN,
        SLACK_API_URL: rec.apiUrl,
        HTTPS_PROXY: proxy.url,
        NO_PROXY: 'localhost,127.0.0.1,.svc,.cluster.local',
        NODE_EXTRA_CA_CERTS: ca.caFile,
        ICSP_METRICS_PORT: String(metrics),
      });
      try {
        await until('the Socket Mode connection', () => (ws.connections > 0 ? true : undefined), 30_000);
        const ready = await until(
          '/readyz 200',
          async () => {
            const r = await readyz(metrics);
            return r?.status === 200 ? r : undefined;
          },
          30_000,
        );
        expect(ready.text).toBe(`ready\nslack: connected through proxy http://127.0.0.1:${proxy.port}\n`);
        // Every Slack connection was a CONNECT through the proxy: the Web API host and the WebSocket host.
        expect(proxy.log()).toContain(`CONNECT ${SLACK_HOST}:${rec.port}`);
        expect(proxy.log()).toContain(`CONNECT ${SLACK_HOST}:${ws.port}`);

        await ws.send('slash_commands', commandPayload({ text: `why ${IMAGE}`, responseUrl: rec.responseUrl('p1') }));
        await rec.waitFor(() => rec.callsOf('chat.postMessage').length >= 2, 20_000);
        expect(rec.callsOf('chat.postMessage')[0]!.params.text).toContain(IMAGE);

        // The proxy goes away: the tunnel drops, /readyz says why and through which proxy.
        await proxy.stop();
        ws.dropClients();
        const down = await until(
          '/readyz 503',
          async () => {
            const r = await readyz(metrics);
            return r?.status === 503 ? r : undefined;
          },
          30_000,
        );
        expect(down.text).toContain(`slack: not connected to Slack (through proxy http://127.0.0.1:${proxy.port}`);

        // It comes back on the same port: the bot reconnects by itself and answers again.
        const before = ws.connections;
        await proxy.start();
        await until('a new Socket Mode connection', () => (ws.connections > before ? true : undefined), 60_000);
        await until(
          '/readyz 200 again',
          async () => ((await readyz(metrics))?.status === 200 ? true : undefined),
          30_000,
        );
        rec.reset();
        await ws.send('slash_commands', commandPayload({ text: `why ${IMAGE}`, responseUrl: rec.responseUrl('p2') }));
        await rec.waitFor(() => rec.callsOf('chat.postMessage').length >= 2, 20_000);
      } finally {
        expect(await bot.stop()).toBe(0);
      }
      const out = bot.output();
      expect(out).toContain('"slack":"through proxy http://127.0.0.1:');
      expect(out).not.toContain(PROXY_PASSWORD);
      expect(out).not.toContain(BOT_TOKEN);
      expect(out).not.toContain(APP_TOKEN);
    },
  );

  it('HTTP mode: Web API calls and response_url replies go through the proxy', { timeout: 60_000 }, async () => {
    const metrics = await freePort();
    const port = await freePort();
    rec.reset();
    const bot = startBot({
      SLACK_MODE: 'http',
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: rec.apiUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      https_proxy: proxy.url,
      NODE_EXTRA_CA_CERTS: ca.caFile,
      ICSP_METRICS_PORT: String(metrics),
    });
    try {
      await until('/readyz 200', async () => ((await readyz(metrics))?.status === 200 ? true : undefined), 30_000);
      const bad = await postSigned(
        port,
        commandForm({ text: 'why http://quay.io/x', responseUrl: rec.responseUrl('h1') }),
        'application/x-www-form-urlencoded',
      );
      expect(bad.status).toBe(200);
      await rec.waitFor(() => rec.responses.length >= 1, 20_000);
      expect(rec.responses[0]!.body.text).toContain('drop the URL scheme');
      const good = await postSigned(
        port,
        commandForm({ text: `why ${IMAGE}`, responseUrl: rec.responseUrl('h2') }),
        'application/x-www-form-urlencoded',
      );
      expect(good.status).toBe(200);
      await rec.waitFor(() => rec.callsOf('chat.postMessage').length >= 2, 20_000);
    } finally {
      expect(await bot.stop()).toBe(0);
    }
    expect(bot.output()).not.toContain(PROXY_PASSWORD);
  });

  it(
    'without the CA bundle the TLS to Slack is refused, and /readyz says so: NODE_EXTRA_CA_CERTS is what makes it work',
    { timeout: 60_000 },
    async () => {
      const metrics = await freePort();
      const connectionsBefore = ws.connections;
      const bot = startBot({
        SLACK_MODE: 'socket',
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_APP_TOKEN: APP_TOKEN,
        SLACK_API_URL: rec.apiUrl,
        HTTPS_PROXY: proxy.url,
        ICSP_METRICS_PORT: String(metrics),
      });
      try {
        const r = await until(
          '/readyz naming the certificate',
          async () => {
            const x = await readyz(metrics);
            return x !== undefined && /certificate/i.test(x.text) ? x : undefined;
          },
          30_000,
        );
        expect(r.status).toBe(503);
        expect(r.text).toMatch(
          new RegExp(
            `^slack: not connected to Slack \\(through proxy http://127\\.0\\.0\\.1:${proxy.port}: .*certificate`,
          ),
        );
        expect(ws.connections).toBe(connectionsBefore);
      } finally {
        await bot.stop();
      }
      expect(bot.output()).not.toContain(PROXY_PASSWORD);
    },
  );
});

describe('one Slack app, two bots', () => {
  it(
    'Socket Mode refuses to start when Slack reports another open connection of the app',
    { timeout: 60_000 },
    async () => {
      ws.numConnections = 2;
      try {
        const bot = startBot({
          SLACK_MODE: 'socket',
          SLACK_BOT_TOKEN: BOT_TOKEN,
          SLACK_APP_TOKEN: APP_TOKEN,
          SLACK_API_URL: rec.apiUrl,
          HTTPS_PROXY: proxy.url,
          NODE_EXTRA_CA_CERTS: ca.caFile,
          ICSP_METRICS_PORT: '0',
          ICSP_CLUSTER_NAME: 'prod-east',
        });
        const code = await Promise.race([
          bot.exited,
          new Promise<'running'>((r) => setTimeout(() => r('running'), 45_000)),
        ]);
        if (code === 'running') await bot.stop();
        expect(code).toBe(1);
        expect(bot.output()).toContain('Slack reports 2 open Socket Mode connections of this app');
        expect(bot.output()).toContain('use one Slack app per cluster, or HTTP mode behind one route');
      } finally {
        ws.numConnections = 1;
      }
    },
  );
});
