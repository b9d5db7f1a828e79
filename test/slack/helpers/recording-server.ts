// A local stand-in for slack.com: records every Web API call (method, params), file upload bodies and
// response_url posts, answers like Slack does, and can be told to fail a method (429 with Retry-After, or an
// error such as not_in_channel). Binds 127.0.0.1 only.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface ApiCall {
  method: string;
  params: Record<string, unknown>;
  authorization: string | undefined;
  at: number;
}

export interface Failure {
  status?: number;
  retryAfter?: number;
  error?: string;
  times: number;
}

/** HTTPS with a test CA's certificate, and the host name put into the URLs it hands out (proxy tests). */
export interface RecordingServerOptions {
  tls?: { key: string; cert: string };
  host?: string;
}

export class RecordingServer {
  readonly calls: ApiCall[] = [];
  readonly uploads: Array<{ id: string; body: string }> = [];
  readonly responses: Array<{ id: string; body: Record<string, unknown>; at: number }> = [];
  readonly groups = new Map<string, string[]>();
  readonly notInChannel = new Set<string>();
  wsUrl = '';
  private readonly failures = new Map<string, Failure>();
  private server: Server | undefined;
  private tsCounter = 1_700_000_000_000;
  private fileCounter = 0;
  private waiters: Array<() => void> = [];
  port = 0;

  private readonly opts: RecordingServerOptions;

  constructor(opts: RecordingServerOptions = {}) {
    this.opts = opts;
  }

  get origin(): string {
    return `${this.opts.tls ? 'https' : 'http'}://${this.opts.host ?? '127.0.0.1'}:${this.port}`;
  }

  get apiUrl(): string {
    return `${this.origin}/api/`;
  }

  responseUrl(id: string): string {
    return `${this.origin}/respond/${id}`;
  }

  fail(method: string, f: Failure): void {
    this.failures.set(method, f);
  }

  callsOf(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  reset(): void {
    this.calls.length = 0;
    this.uploads.length = 0;
    this.responses.length = 0;
    this.failures.clear();
    this.notInChannel.clear();
  }

  /** Resolves when pred() holds (checked after every request), or rejects after timeoutMs. */
  async waitFor(pred: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error('waitFor: timed out');
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  async start(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.handle(req, res).catch((e: unknown) => {
        res.statusCode = 500;
        res.end(String(e));
      });
    };
    this.server = this.opts.tls ? createTlsServer(this.opts.tls, handler) : createServer(handler);
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server === undefined ? r() : this.server.close(() => r())));
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = req.url ?? '/';
    const json = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
      this.notify();
    };
    if (url.startsWith('/upload/')) {
      this.uploads.push({ id: url.slice('/upload/'.length), body: raw });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('OK');
      this.notify();
      return;
    }
    if (url.startsWith('/respond/')) {
      this.responses.push({
        id: url.slice('/respond/'.length),
        body: JSON.parse(raw) as Record<string, unknown>,
        at: Date.now(),
      });
      return json(200, { ok: true });
    }
    if (!url.startsWith('/api/')) return json(404, { ok: false, error: 'not_found' });
    const method = url.slice('/api/'.length).split('?')[0]!;
    const params = parseParams(raw, req.headers['content-type'] ?? '');
    this.calls.push({ method, params, authorization: req.headers.authorization, at: Date.now() });
    const f = this.failures.get(method);
    if (f !== undefined && f.times > 0) {
      f.times -= 1;
      if (f.status === 429)
        return json(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(f.retryAfter ?? 1) });
      return json(f.status ?? 200, { ok: false, error: f.error ?? 'internal_error' });
    }
    switch (method) {
      case 'auth.test':
        return json(200, {
          ok: true,
          url: 'https://example.slack.com/',
          team: 'T',
          user: 'icsp-bot',
          team_id: 'T0001',
          user_id: 'UBOT0001',
          bot_id: 'BBOT0001',
        });
      case 'apps.connections.open':
        return json(200, { ok: true, url: this.wsUrl });
      case 'chat.postMessage': {
        const channel = String(params.channel);
        if (this.notInChannel.has(channel)) return json(200, { ok: false, error: 'not_in_channel' });
        const ts = `${Math.floor(this.tsCounter / 1000)}.${String(this.tsCounter++ % 1000).padStart(6, '0')}`;
        return json(200, { ok: true, channel, ts, message: { ts, text: params.text } });
      }
      case 'chat.update':
        return json(200, { ok: true, channel: String(params.channel), ts: String(params.ts), text: params.text });
      case 'chat.postEphemeral':
        return json(200, { ok: true, message_ts: '1.000001' });
      case 'files.getUploadURLExternal': {
        const id = `F${++this.fileCounter}`;
        return json(200, { ok: true, upload_url: `${this.origin}/upload/${id}`, file_id: id });
      }
      case 'files.completeUploadExternal':
        return json(200, { ok: true, files: (params.files as Array<{ id: string }>) ?? [] });
      case 'usergroups.users.list':
        return json(200, { ok: true, users: this.groups.get(String(params.usergroup)) ?? [] });
      default:
        return json(200, { ok: false, error: 'unknown_method' });
    }
  }
}

function parseParams(raw: string, contentType: string): Record<string, unknown> {
  if (contentType.includes('application/json')) return JSON.parse(raw || '{}') as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    if (/^[[{]/.test(v)) {
      try {
        out[k] = JSON.parse(v);
        continue;
      } catch {
        // plain string
      }
    }
    out[k] = v;
  }
  return out;
}
