// A corporate egress for the proxy tests: a test CA with a certificate for the fake Slack host `slack.test`, and a real
// tinyproxy (Debian package) on 127.0.0.1 with basic auth. tinyproxy runs in its own mount namespace whose /etc/hosts
// maps slack.test to 127.0.0.1: only the proxy can resolve that name, so the bot reaches "Slack" through the proxy
// or not at all. Needs root (unshare --mount), openssl and tinyproxy; a missing tool fails with a clear message.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { removeTempDir } from '../../helpers/temp-dir.ts';
import { tempDir } from '../../helpers/test-temp-dir.ts';

export const SLACK_HOST = 'slack.test';
export const PROXY_USER = 'icsp';
export const PROXY_PASSWORD = 'pr0xy-Passw0rd-never-logged';

export function missingProxyTools(): string[] {
  const missing: string[] = [];
  for (const t of ['tinyproxy', 'openssl', 'unshare']) {
    try {
      execFileSync('sh', ['-c', 'command -v "$1"', 'sh', t], { stdio: 'ignore' });
    } catch {
      missing.push(`${t} (Debian package ${t === 'unshare' ? 'util-linux' : t}; .ci/run installs it)`);
    }
  }
  if (process.getuid?.() !== 0) missing.push('root (tinyproxy runs in its own mount namespace)');
  return missing;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return p;
}

export interface TestCa {
  dir: string;
  caFile: string;
  key: string;
  cert: string;
}

/** A CA and a server certificate for slack.test, from the openssl CLI. */
export function makeTestCa(): TestCa {
  const dir = tempDir('icsp-proxy-ca-');
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=icsp-bot proxy test CA',
    '-keyout',
    join(dir, 'ca.key'),
    '-out',
    join(dir, 'ca.crt'),
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  ssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    `/CN=${SLACK_HOST}`,
    '-keyout',
    join(dir, 'server.key'),
    '-out',
    join(dir, 'server.csr'),
  );
  writeFileSync(join(dir, 'server.ext'), `subjectAltName=DNS:${SLACK_HOST}\nextendedKeyUsage=serverAuth\n`);
  ssl(
    'x509',
    '-req',
    '-in',
    join(dir, 'server.csr'),
    '-CA',
    join(dir, 'ca.crt'),
    '-CAkey',
    join(dir, 'ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    join(dir, 'server.ext'),
    '-out',
    join(dir, 'server.crt'),
  );
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    key: readFileSync(join(dir, 'server.key'), 'utf8'),
    cert: readFileSync(join(dir, 'server.crt'), 'utf8'),
  };
}

/** tinyproxy on a fixed port (so it can come back on the same one), with basic auth; start/stop at will. */
export class TinyProxy {
  private child: ChildProcess | undefined;
  readonly dir = tempDir('icsp-tinyproxy-');
  port = 0;

  get url(): string {
    return `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${this.port}`;
  }

  get logFile(): string {
    return join(this.dir, 'tinyproxy.log');
  }

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    // tinyproxy drops root for `nobody`: its log must be writable by that user.
    chmodSync(this.dir, 0o777);
    writeFileSync(join(this.dir, 'hosts'), `127.0.0.1 localhost ${SLACK_HOST}\n`);
    writeFileSync(
      join(this.dir, 'tinyproxy.conf'),
      [
        'User nobody',
        'Group nogroup',
        `Port ${this.port}`,
        'Listen 127.0.0.1',
        'Timeout 60',
        `LogFile "${this.logFile}"`,
        'LogLevel Connect',
        'MaxClients 50',
        `BasicAuth ${PROXY_USER} ${PROXY_PASSWORD}`,
        'DisableViaHeader Yes',
        '',
      ].join('\n'),
    );
    // Fixed script; paths are positional arguments. The bind mount lives only in tinyproxy's mount namespace.
    const script = 'mount --bind "$1" /etc/hosts && exec tinyproxy -d -c "$2"';
    const child = spawn(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        script,
        'sh',
        join(this.dir, 'hosts'),
        join(this.dir, 'tinyproxy.conf'),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += String(d)));
    this.child = child;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`tinyproxy exited (${child.exitCode}): ${stderr.trim()}`);
      const up = await new Promise<boolean>((r) => {
        const s = createServer();
        s.once('error', () => r(true));
        s.listen(this.port, '127.0.0.1', () => s.close(() => r(false)));
      });
      if (up) return;
      if (Date.now() > deadline)
        throw new Error(`tinyproxy did not listen on 127.0.0.1:${this.port}: ${stderr.trim()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    const c = this.child;
    this.child = undefined;
    if (c === undefined || c.exitCode !== null) return;
    await new Promise<void>((r) => {
      c.once('close', () => r());
      c.kill('SIGKILL');
    });
  }

  async dispose(): Promise<void> {
    await this.stop();
    removeTempDir(this.dir);
  }
}
