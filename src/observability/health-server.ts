// /healthz (the process is alive), /readyz (Slack connected, cluster watches synced and not stale) and /metrics,
// on their own port so probes and scrapes never touch the Slack endpoint.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface ReadinessCheck {
  name: string;
  /** Undefined when ready; otherwise why not, in one line. */
  check(): string | undefined;
  /** What /readyz also says when ready (e.g. how Slack is reached); one line, no credentials. */
  info?(): string;
}

export interface HealthServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(opts: {
  port: number;
  host: string;
  registry: Registry;
  checks: () => readonly ReadinessCheck[];
}): Promise<HealthServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const checks = opts.checks();
      const failing = checks.flatMap((c) => {
        const why = c.check();
        return why === undefined ? [] : [`${c.name}: ${why}`];
      });
      const infos =
        failing.length === 0 ? checks.flatMap((c) => (c.info === undefined ? [] : [`${c.name}: ${c.info()}`])) : [];
      res
        .writeHead(failing.length === 0 ? 200 : 503, { 'content-type': 'text/plain' })
        .end(failing.length === 0 ? ['ready', ...infos, ''].join('\n') : `${failing.join('\n')}\n`);
    } else if (path === '/metrics') {
      opts.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': opts.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
