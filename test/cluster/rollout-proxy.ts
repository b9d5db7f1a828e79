// A pass-through proxy between the bot and the real API server (127.0.0.1 only) that can make watches expire: it
// forwards every request, tracks open watch streams, can hold their events back (the bot misses changes, as over
// a long disconnect) and can end them with the ERROR 410 Expired event the API server sends when the
// resourceVersion fell out of its window. The client must then relist.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

interface OpenWatch {
  path: string;
  res: ServerResponse;
}

export class ExpiringProxy {
  private server: Server | undefined;
  private readonly target: URL;
  private readonly ca: Buffer;
  private readonly watches = new Set<OpenWatch>();
  /** While true, watch events are dropped (the stream stays open). */
  holding = false;
  requests: Array<{ method: string; path: string; at: number }> = [];
  port = 0;

  constructor(apiServerURL: string, caFile: string) {
    this.target = new URL(apiServerURL);
    this.ca = readFileSync(caFile);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.forward(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const w of this.watches) w.res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server === undefined ? r() : this.server.close(() => r())));
  }

  /** A kubeconfig through the proxy with this bearer token. */
  kubeConfig(token: string): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'proxy', server: `http://127.0.0.1:${this.port}`, skipTLSVerify: true }],
      users: [{ name: 'bot', token }],
      contexts: [{ name: 'bot', cluster: 'proxy', user: 'bot' }],
      currentContext: 'bot',
    });
    return kc;
  }

  openWatches(pathPart = ''): number {
    return [...this.watches].filter((w) => w.path.includes(pathPart)).length;
  }

  /** Ends every open watch whose path contains `pathPart` with ERROR 410 Expired. */
  expire(pathPart = ''): number {
    let n = 0;
    for (const w of [...this.watches]) {
      if (!w.path.includes(pathPart)) continue;
      const status = {
        type: 'ERROR',
        object: {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: 'too old resource version: 1 (2)',
          reason: 'Expired',
          code: 410,
        },
      };
      w.res.end(`${JSON.stringify(status)}\n`);
      this.watches.delete(w);
      n++;
    }
    return n;
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const path = req.url ?? '/';
    this.requests.push({ method: req.method ?? 'GET', path, at: Date.now() });
    const isWatch = /[?&]watch=(true|1)/.test(path);
    const headers = { ...req.headers, host: this.target.host };
    const up = httpsRequest(
      { hostname: this.target.hostname, port: this.target.port, path, method: req.method, headers, ca: this.ca },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        if (!isWatch) {
          upRes.pipe(res);
          return;
        }
        // A watch answers its headers at once and its body only on events: pass the headers on now.
        res.flushHeaders();
        const w: OpenWatch = { path, res };
        this.watches.add(w);
        upRes.on('data', (chunk: Buffer) => {
          if (this.watches.has(w) && !this.holding) res.write(chunk);
        });
        upRes.on('end', () => {
          if (this.watches.delete(w)) res.end();
        });
        res.on('close', () => {
          this.watches.delete(w);
          upRes.destroy();
        });
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  }
}
