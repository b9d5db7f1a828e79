// A local WebSocket server that speaks Slack's Socket Mode protocol: sends `hello` on connect, delivers
// envelopes, and collects the acks ({envelope_id, payload?}). Binds 127.0.0.1 only.
import { createServer as createTlsServer } from 'node:https';
import type { Server as TlsServer } from 'node:https';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';

export interface Envelope {
  envelope_id: string;
  type: 'slash_commands' | 'events_api' | 'interactive';
  payload: unknown;
  accepts_response_payload: boolean;
  retry_attempt?: number;
  retry_reason?: string;
}

export class SocketServer {
  private wss: WebSocketServer | undefined;
  private socket: WebSocket | undefined;
  private readonly acks = new Map<string, { at: number; body: Record<string, unknown> }>();
  private readonly ackWaiters = new Map<string, (v: { at: number; body: Record<string, unknown> }) => void>();
  private connectedResolve: (() => void) | undefined;
  readonly connected: Promise<void>;
  port = 0;
  private seq = 0;
  private tlsServer: TlsServer | undefined;
  /** How many connections every `hello` reports (Slack counts the app's open connections). */
  numConnections = 1;
  /** Every connection so far (reconnects included). */
  connections = 0;

  /** `tls` and `host`: wss:// with a test CA's certificate, under a host name (proxy tests). */
  private readonly opts: { tls?: { key: string; cert: string }; host?: string };

  constructor(opts: { tls?: { key: string; cert: string }; host?: string } = {}) {
    this.opts = opts;
    this.connected = new Promise((r) => (this.connectedResolve = r));
  }

  get url(): string {
    return `${this.opts.tls ? 'wss' : 'ws'}://${this.opts.host ?? '127.0.0.1'}:${this.port}/link`;
  }

  async start(): Promise<void> {
    if (this.opts.tls) {
      this.tlsServer = createTlsServer(this.opts.tls);
      this.wss = new WebSocketServer({ server: this.tlsServer });
      await new Promise<void>((r) => this.tlsServer!.listen(0, '127.0.0.1', () => r()));
      this.port = (this.tlsServer.address() as AddressInfo).port;
    } else {
      this.wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
      await new Promise<void>((r) => this.wss!.once('listening', () => r()));
      this.port = (this.wss.address() as AddressInfo).port;
    }
    this.wss.on('connection', (ws) => {
      this.connections += 1;
      this.socket = ws;
      ws.on('message', (data) => {
        const body = JSON.parse(String(data)) as Record<string, unknown>;
        const id = String(body.envelope_id);
        const v = { at: performance.now(), body };
        this.acks.set(id, v);
        this.ackWaiters.get(id)?.(v);
      });
      ws.send(
        JSON.stringify({
          type: 'hello',
          num_connections: this.numConnections,
          debug_info: { host: 'applink-test', approximate_connection_time: 18060 },
          connection_info: { app_id: 'A0001' },
        }),
      );
      this.connectedResolve?.();
    });
  }

  /** Sends an envelope; resolves with the ack and the ms it took. */
  async send(
    type: Envelope['type'],
    payload: unknown,
    extra: Partial<Envelope> = {},
  ): Promise<{ ms: number; body: Record<string, unknown> }> {
    if (this.socket === undefined) throw new Error('no socket client connected');
    const envelope_id = extra.envelope_id ?? `env-${++this.seq}`;
    const started = performance.now();
    const acked = new Promise<{ at: number; body: Record<string, unknown> }>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ack for ${envelope_id}`)), 3000);
      this.ackWaiters.set(envelope_id, (v) => {
        clearTimeout(t);
        resolve(v);
      });
    });
    this.socket.send(
      JSON.stringify({ envelope_id, type, payload, accepts_response_payload: type !== 'events_api', ...extra }),
    );
    const v = await acked;
    return { ms: v.at - started, body: v.body };
  }

  async stop(): Promise<void> {
    for (const c of this.wss?.clients ?? []) c.terminate();
    await new Promise<void>((r) => (this.wss === undefined ? r() : this.wss.close(() => r())));
    this.tlsServer?.closeAllConnections();
    await new Promise<void>((r) => (this.tlsServer === undefined ? r() : this.tlsServer.close(() => r())));
  }

  /** Drops every client connection (as a proxy that goes away does). */
  dropClients(): void {
    for (const c of this.wss?.clients ?? []) c.terminate();
  }
}
