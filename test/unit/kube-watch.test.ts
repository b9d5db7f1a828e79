// The watch factory's hold on client-node's TS-private inactivity timeout: it is set on the real Watch, it really
// governs the stream (a silent stream is cut after it, not after client-node's 30 s), and a Watch without the
// field (a client-node upgrade renamed or hid it) makes the factory throw instead of silently keeping 30 s.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { KubeWatch, setInactivityTimeout, WATCH_INACTIVITY_MS } from '../../src/cluster/kube-watch.ts';

function kubeConfig(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'not-a-secret' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

const timeoutOf = (w: object): unknown => (w as Record<string, unknown>).requestTimeoutMs;

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server === undefined ? r() : server.close(() => r())));
  server = undefined;
});

describe('the watch factory', () => {
  it('sets the inactivity timeout on the installed client-node Watch (150 s by default)', () => {
    const kc = kubeConfig('http://127.0.0.1:1');
    // client-node's own default, which the factory exists to replace
    expect(timeoutOf(new Watch(kc))).toBe(30_000);
    expect(WATCH_INACTIVITY_MS).toBe(150_000);
    expect(timeoutOf(new KubeWatch(kc))).toBe(WATCH_INACTIVITY_MS);
    const w = new Watch(kc);
    setInactivityTimeout(w, 1234);
    expect(timeoutOf(w)).toBe(1234);
  });

  it('fails loudly when the Watch has no such field (renamed, made #private, or not a number)', () => {
    const renamed = { inactivityTimeoutMs: 30_000 };
    expect(() => setInactivityTimeout(renamed, 150_000)).toThrow(
      /client-node's Watch has no numeric "requestTimeoutMs" field any more \(found none\).*kube-watch\.ts/,
    );
    expect(renamed).toEqual({ inactivityTimeoutMs: 30_000 });
    expect(() => setInactivityTimeout({ requestTimeoutMs: '30000' }, 150_000)).toThrow(/\(found string\)/);
    // an accessor on the prototype is not the plain field the workaround relies on
    class Accessor {
      get requestTimeoutMs(): number {
        return 30_000;
      }
    }
    expect(() => setInactivityTimeout(new Accessor(), 150_000)).toThrow(/\(found none\)/);
  });

  it('a silent stream ends with a TimeoutError after the set timeout; asks for bookmarks; counts', async () => {
    const paths: string[] = [];
    server = createServer((req, res) => {
      paths.push(req.url ?? '');
      // a watch answers its headers at once and then nothing (no event, no bookmark)
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const w = new KubeWatch(kubeConfig(`http://127.0.0.1:${port}`), 400);
    const t0 = performance.now();
    const ended = new Promise<unknown>((resolve, reject) => {
      w.watch('/api/v1/pods', { fieldSelector: 'metadata.name=x' }, () => undefined, resolve).catch(reject);
    });
    const err = await ended;
    const took = performance.now() - t0;
    expect((err as Error).name).toBe('TimeoutError');
    expect(took).toBeGreaterThanOrEqual(390);
    expect(took).toBeLessThan(10_000);
    expect(w.requests).toBe(1);
    expect(paths).toHaveLength(1);
    const q = new URL(paths[0]!, 'http://x').searchParams;
    expect(q.get('watch')).toBe('true');
    expect(q.get('allowWatchBookmarks')).toBe('true');
    expect(q.get('fieldSelector')).toBe('metadata.name=x');
  });
});
