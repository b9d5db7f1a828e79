// The container image, built for real with podman from the repository's Dockerfile. The UBI base cannot be
// pulled on these machines, so the test first builds a stand-in base from this machine's files (Node 24 from
// node_modules, npm from the registry, a shell, their libraries, CA certificates) and passes it as BASE_IMAGE: the
// Dockerfile's own steps (npm ci --omit=dev, COPY, USER, labels, CMD) all run. Then the image runs read-only as UID
// 1001.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/shared-dir.ts';
import { tempDir } from '../helpers/test-temp-dir.ts';

const BASE = 'localhost/icsp-test-base:latest';
const IMAGE = 'localhost/icsp-bot:test';
const NPM = 'npm@11.21.2';

/**
 * These machines have hybrid cgroups, which crun refuses, and limits a container may not raise: runc with the
 * cgroupfs manager and explicit ulimits run containers here (Debian package runc).
 */
const GLOBAL = ['--cgroup-manager=cgroupfs', '--runtime', 'runc'];
const LIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

function podman(args: string[], timeout = 600_000): string {
  const [verb, ...rest] = args;
  const full = [...GLOBAL, verb!, ...(verb === 'build' || verb === 'run' ? LIMITS : []), ...rest];
  const r = spawnSync('podman', full, { encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024 });
  if (r.error !== undefined)
    throw new Error(`podman ${args[0]}: ${r.error.message} (podman missing? apt-get install podman)`);
  if (r.status !== 0) throw new Error(`podman ${args.join(' ')} exited ${r.status}:\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/** Copies a file and every shared library it loads (ldd) into the stand-in root. */
function copyWithLibs(root: string, file: string, as = file): void {
  const dest = join(root, as);
  mkdirSync(dirname(dest), { recursive: true });
  cpSync(realpathSync(file), dest);
  const ldd = spawnSync('ldd', [file], { encoding: 'utf8' });
  for (const m of (ldd.stdout ?? '').matchAll(/(\/[^\s]+) \(0x/g)) {
    const lib = m[1]!;
    const target = join(root, lib);
    if (!existsSync(target)) {
      mkdirSync(dirname(target), { recursive: true });
      cpSync(realpathSync(lib), target);
    }
  }
}

function buildStandInBase(): void {
  const ctx = tempDir('icsp-base-');
  const root = join(ctx, 'root');
  copyWithLibs(root, process.execPath, '/usr/local/bin/node');
  copyWithLibs(root, '/bin/dash', '/bin/sh');
  copyWithLibs(root, '/usr/bin/env');
  // npm from the registry's own tarball (self-contained: its dependencies are bundled), not the machine's install,
  // which Debian splits over /usr/share/nodejs; the same npm scripts/test.sh pins for old machines.
  // npm turns on Node's compile cache, kept in TMPDIR/node-compile-cache: nothing of that here
  const tgz = execFileSync('npm', ['pack', NPM, '--silent', '--pack-destination', ctx], {
    encoding: 'utf8',
    env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' },
  }).trim();
  mkdirSync(join(root, 'usr/local/lib/node_modules'), { recursive: true });
  execFileSync('tar', ['-xzf', join(ctx, tgz), '-C', join(root, 'usr/local/lib/node_modules')]);
  renameSync(join(root, 'usr/local/lib/node_modules/package'), join(root, 'usr/local/lib/node_modules/npm'));
  writeFileSync(
    join(root, 'usr/local/bin/npm'),
    '#!/bin/sh\nexec /usr/local/bin/node /usr/local/lib/node_modules/npm/bin/npm-cli.js "$@"\n',
    { mode: 0o755 },
  );
  mkdirSync(join(root, 'etc/ssl/certs'), { recursive: true });
  cpSync('/etc/ssl/certs/ca-certificates.crt', join(root, 'etc/ssl/certs/ca-certificates.crt'));
  writeFileSync(
    join(root, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\ndefault:x:1001:0:app:/opt/app-root/src:/bin/sh\n',
  );
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
  writeFileSync(join(root, 'etc/resolv.conf'), '');
  mkdirSync(join(root, 'tmp'), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);
  mkdirSync(join(ctx, 'approot', 'src'), { recursive: true });
  // As the UBI Node.js images: PATH with node and npm, HOME the app directory owned by 1001:0.
  writeFileSync(
    join(ctx, 'Containerfile'),
    'FROM scratch\nCOPY root/ /\nCOPY --chown=1001:0 approot/ /opt/app-root/\nENV PATH=/usr/local/bin:/usr/' +
      'bin:/bin HOME=/opt/app-root/src NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt\nUSER 1001\n',
  );
  podman(['build', '-q', '--network', 'host', '-t', BASE, '-f', join(ctx, 'Containerfile'), ctx]);
}

beforeAll(() => {
  buildStandInBase();
  podman([
    'build',
    '-q',
    '--network',
    'host',
    '--build-arg',
    `BASE_IMAGE=${BASE}`,
    '--build-arg',
    'REVISION=test',
    '-t',
    IMAGE,
    repoRoot,
  ]);
}, 900_000);

afterAll(() => {
  if (process.env['ICSP_KEEP_TEST_IMAGES'] === '1') return;
  spawnSync('podman', [...GLOBAL, 'rmi', '-f', IMAGE, BASE], { timeout: 120_000 });
});

describe('the container image', () => {
  it('is labelled, runs as UID 1001, and holds production dependencies only', () => {
    const info = JSON.parse(podman(['image', 'inspect', IMAGE]))[0] as {
      Config: { User: string; Labels: Record<string, string>; Cmd: string[]; Entrypoint: string[] };
    };
    expect(info.Config.User).toBe('1001');
    expect(info.Config.Labels['org.opencontainers.image.title']).toBe('icsp-bot');
    expect(info.Config.Labels['org.opencontainers.image.revision']).toBe('test');
    expect([...info.Config.Entrypoint, ...info.Config.Cmd]).toEqual(['node', 'src/main.ts']);
    const list =
      "const fs = require('node:fs'); console.log(JSON.stringify({ modules: " +
      "fs.readdirSync('node_modules'), top: fs.readdirSync('.') }))";
    const seen = JSON.parse(podman(['run', '--rm', '--network', 'none', IMAGE, '-e', list])) as {
      modules: string[];
      top: string[];
    };
    expect(seen.modules).toEqual(
      expect.arrayContaining(['@slack', '@kubernetes', 'js-yaml', 'smol-toml', 'pino', 'prom-client']),
    );
    for (const dev of ['vitest', 'typescript', 'eslint', 'node']) expect(seen.modules).not.toContain(dev);
    expect(seen.top.sort()).toEqual(['bin', 'examples', 'node_modules', 'package.json', 'src']);
  });

  it('runs the CLI read-only as UID 1001 with no network', () => {
    const out = podman([
      'run',
      '--rm',
      '--read-only',
      '--user',
      '1001:0',
      '--network',
      'none',
      IMAGE,
      'bin/icsp.js',
      'why',
      'imagestore.co/repo/exampleimage:latest',
      '--policies',
      'examples/',
      '--json',
    ]);
    expect(JSON.parse(out).verdict.code).toBe('tag-pull-skips-digest-mirrors');
  });

  it('starts the bot read-only (tmpfs /tmp) and exits 0 on SIGTERM', () => {
    const name = `icsp-bot-image-test-${process.pid}`;
    podman([
      'run',
      '-d',
      '--name',
      name,
      '--read-only',
      '--tmpfs',
      '/tmp',
      '--user',
      '1001:0',
      '--network',
      'none',
      '-e',
      'SLACK_MODE=http',
      '-e',
      'SLACK_BOT_TOKEN=xoxb-1-2-imagetest',
      '-e',
      'SLACK_SIGNING_SECRET=image-test-secret-123456',
      '-e',
      'HOST=127.0.0.1',
      '-e',
      'ICSP_METRICS_HOST=127.0.0.1',
      '-e',
      'ICSP_POLICIES=examples/',
      IMAGE,
    ]);
    try {
      let logs = '';
      for (let i = 0; i < 60 && !logs.includes('icsp-bot started'); i++) {
        execFileSync('sleep', ['0.5']);
        logs =
          spawnSync('podman', [...GLOBAL, 'logs', name], { encoding: 'utf8' }).stdout +
          spawnSync('podman', [...GLOBAL, 'logs', name], { encoding: 'utf8' }).stderr;
      }
      expect(logs, logs).toContain('icsp-bot started');
      podman(['stop', '-t', '20', name]);
      const exit = podman(['inspect', name, '--format', '{{.State.ExitCode}}']).trim();
      expect(exit).toBe('0');
      expect(logs).not.toContain('xoxb-1-2-imagetest');
    } finally {
      spawnSync('podman', [...GLOBAL, 'rm', '-f', name], { timeout: 60_000 });
    }
  });
});
