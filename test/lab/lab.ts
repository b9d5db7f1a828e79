// The podman mirror lab, in TypeScript: real docker-registry (distribution v2) servers on loopback inside a
// private network + mount namespace (unshare), a deterministic test image pushed with skopeo, and helpers that
// run `podman pull --log-level debug` / `skopeo --debug inspect` with a scenario's registries.conf.
// Modelled on ../shared/fixtures/podman/lab.sh. The host's /etc files are never changed: the lab's
// /etc/containers, /etc/hosts and /etc/resolv.conf are bind mounts visible only inside the namespace.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  cpSync,
  statSync,
  rmdirSync,
} from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.ts';
import type { RateLimitMode } from './rate-limited-registry.ts';

export const SRC = '127.0.0.1:5001';
export const MA = '127.0.0.1:5002';
export const MB = '127.0.0.1:5003';
export const MUNTRUSTED = '127.0.0.1:5004';
export const MAUTH = '127.0.0.1:5005';
export const MDOWN = '127.0.0.1:5009';
/** The 429 stand-in (rate-limited-registry.ts): started on demand by Lab.startRateLimited(). */
export const MRATE = '127.0.0.1:5011';
export const WILD_SRC_HOST = 'src.example.test';
export const REPO = 'repo/exampleimage';
export const MREPO = 'mirror/repo/exampleimage';
const USER = 'labuser';
const PASS = 'labpass';

export const HEADER =
  'unqualified-search-registries = ["registry.access.redhat.com", "docker.io"]\nshort-name-mode = ""\n';

/** Tools the lab needs, with the Debian package that provides each. */
const TOOLS: [string, string][] = [
  ['podman', 'podman'],
  ['skopeo', 'skopeo'],
  ['docker-registry', 'docker-registry'],
  ['openssl', 'openssl'],
  ['htpasswd', 'apache2-utils'],
  ['unshare', 'util-linux'],
  ['nsenter', 'util-linux'],
  ['ip', 'iproute2'],
  ['tar', 'tar'],
  ['gzip', 'gzip'],
];

export function missingTools(): string[] {
  const missing: string[] = [];
  for (const [bin, pkg] of TOOLS) {
    const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
    if (r.status !== 0) missing.push(`${bin} not found: apt-get install ${pkg}`);
  }
  if (process.getuid?.() !== 0) missing.push('the lab needs root (unshare --net --mount, bind mounts)');
  return missing;
}

export interface RunResult {
  exitCode: number;
  /** stdout + stderr, interleaved as written (both go to one file). */
  logFile: string;
  log: string;
  registriesConf: string;
  command: string[];
}

interface Registry {
  name: string;
  addr: string;
  proc: ChildProcess;
  logFile: string;
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    input: opts.input,
    env: opts.env ?? process.env,
    timeout: 120_000,
  });
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout || '').trim().slice(-2000)}`,
    );
  return r.stdout;
}

async function waitFor(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export class Lab {
  readonly dir: string;
  private holder: ChildProcess | null = null;
  private nsPid = 0;
  private readonly registries: Registry[] = [];
  private createdVarLibContainers = false;
  digest = '';
  /** A capture is killed after this long (a 429 without Retry-After backs off ~30 s per request and walk). */
  captureTimeoutMs = 120_000;
  configDigest = '';
  layerDigest = '';

  private constructor(dir: string) {
    this.dir = dir;
  }

  static async start(): Promise<Lab> {
    const missing = missingTools();
    if (missing.length > 0) throw new Error(`lab cannot start: ${missing.join('; ')}`);
    const lab = new Lab(makeTempDir('icsp-lab.'));
    try {
      await lab.setUp();
    } catch (err) {
      await lab.stop();
      throw err;
    }
    return lab;
  }

  /** Runs a command inside the lab namespaces. */
  nsArgs(cmd: string[]): string[] {
    // -r: the holder's root directory too, so the lab also works inside a chroot (entering a mount namespace alone
    // resets the root to the namespace's, which escapes the chroot and misses the lab's files).
    // TMPDIR: the lab's own, as its containers.conf says (image_copy_tmp_dir); TMPDIR would win over that, and an
    // interrupted pull leaves its storage* directory there, which goes with the lab.
    return ['-t', String(this.nsPid), '-n', '-m', '-r', '--', 'env', `TMPDIR=${this.dir}/tmp`, ...cmd];
  }

  private nsRun(cmd: string[], env?: NodeJS.ProcessEnv): string {
    return run('nsenter', this.nsArgs(cmd), { env });
  }

  private async setUp(): Promise<void> {
    const d = this.dir;
    for (const sub of [
      'etc-containers',
      'storage/graph',
      'storage/run',
      'tmp',
      'var-lib-containers',
      'certs',
      'scenarios',
      'registries',
    ]) {
      mkdirSync(join(d, sub), { recursive: true });
    }
    // a lab copy of the host's /etc/containers: own storage, own certs.d (the lab CA for the trusted registries)
    if (existsSync('/etc/containers')) cpSync('/etc/containers', join(d, 'etc-containers'), { recursive: true });
    writeFileSync(
      join(d, 'etc-containers/storage.conf'),
      `[storage]\ndriver = "overlay"\ngraphroot = "${d}/storage/graph"\nrunroot = "${d}/storage/run"\n`,
    );
    writeFileSync(
      join(d, 'etc-containers/containers.conf'),
      `[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = ` +
        `"file"\ntmp_dir = "${d}/tmp"\nimage_copy_tmp_dir = "${d}/tmp"\n`,
    );
    writeFileSync(
      join(d, 'hosts'),
      `127.0.0.1 localhost\n127.0.0.1 mirror.example.test\n127.0.0.1 src2.example.test\n127.0.0.2 ${WILD_SRC_HOST}\n`,
    );
    // nothing listens on 127.0.0.1:53 in the namespace: unknown names fail at once
    writeFileSync(join(d, 'resolv.conf'), 'nameserver 127.0.0.1\noptions attempts:1 timeout:1\n');

    this.makeCerts();
    for (const hp of [SRC, MA, MB, MAUTH, MRATE, WILD_SRC_HOST, 'mirror.example.test:5002', 'src2.example.test:5001']) {
      mkdirSync(join(d, 'etc-containers/certs.d', hp), { recursive: true });
      cpSync(join(d, 'certs/ca.crt'), join(d, 'etc-containers/certs.d', hp, 'ca.crt'));
    }

    // the blob-info cache of root's podman/skopeo lives in /var/lib/containers: keep it in the lab too
    if (!existsSync('/var/lib/containers')) {
      mkdirSync('/var/lib/containers');
      this.createdVarLibContainers = true;
    }
    const script = [
      'set -e',
      'ip link set lo up',
      `mount --bind ${d}/etc-containers /etc/containers`,
      `mount --bind ${d}/var-lib-containers /var/lib/containers`,
      `mount --bind ${d}/hosts /etc/hosts`,
      `mount --bind ${d}/resolv.conf /etc/resolv.conf`,
      'echo ready',
      'exec sleep 3600',
    ].join('\n');
    const holder = spawn('unshare', ['--net', '--mount', '--propagation', 'private', '--', 'bash', '-c', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.holder = holder;
    let out = '';
    holder.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    holder.stderr?.on('data', (b: Buffer) => (out += b.toString()));
    await waitFor(() => out.includes('ready') || holder.exitCode !== null, 'the lab namespace');
    if (!out.includes('ready')) throw new Error(`could not set up the lab namespace: ${out.trim()}`);
    this.nsPid = holder.pid ?? 0;

    run('htpasswd', ['-Bbc', join(d, 'htpasswd'), USER, PASS]);
    await Promise.all([
      this.startRegistry('source', SRC, 'lab', false),
      this.startRegistry('mirror-a', MA, 'lab', false),
      this.startRegistry('mirror-b', MB, 'lab', false),
      this.startRegistry('mirror-untrusted', MUNTRUSTED, 'untrusted', false),
      this.startRegistry('mirror-auth', MAUTH, 'lab', true),
      this.startRegistry('wild-src', '127.0.0.2:443', 'lab', false),
    ]);
    this.buildImage();
    this.pushImage();
  }

  private makeCerts(): void {
    const c = join(this.dir, 'certs');
    run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '30',
      '-subj',
      '/CN=icsp-lab CA',
      '-keyout',
      `${c}/ca.key`,
      '-out',
      `${c}/ca.crt`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    run('openssl', [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      `${c}/server.key`,
      '-out',
      `${c}/server.csr`,
    ]);
    writeFileSync(
      `${c}/server.ext`,
      'subjectAltName=IP:127.0.0.1,IP:127.0.0.2,DNS:localhost,DNS:*.example.test\nbasicConstraints=CA:' +
        'FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n',
    );
    run('openssl', [
      'x509',
      '-req',
      '-in',
      `${c}/server.csr`,
      '-CA',
      `${c}/ca.crt`,
      '-CAkey',
      `${c}/ca.key`,
      '-CAcreateserial',
      '-days',
      '30',
      '-extfile',
      `${c}/server.ext`,
      '-out',
      `${c}/server.crt`,
    ]);
    run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '30',
      '-subj',
      '/CN=untrusted-self-signed',
      '-keyout',
      `${c}/untrusted.key`,
      '-out',
      `${c}/untrusted.crt`,
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]);
  }

  private async startRegistry(
    name: string,
    addr: string,
    tls: 'lab' | 'untrusted' | 'none',
    auth: boolean,
  ): Promise<void> {
    const rd = join(this.dir, 'registries', name);
    mkdirSync(join(rd, 'data'), { recursive: true });
    const c = join(this.dir, 'certs');
    const lines = [
      'version: 0.1',
      'log:',
      '  level: info',
      '  formatter: text',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${rd}/data`,
      '  maintenance:',
      '    uploadpurging:',
      '      enabled: false',
      'http:',
      `  addr: ${addr}`,
      `  secret: lab-not-secret-${name}`,
    ];
    if (tls !== 'none')
      lines.push(
        '  tls:',
        `    certificate: ${c}/${tls === 'lab' ? 'server' : 'untrusted'}.crt`,
        `    key: ${c}/${tls === 'lab' ? 'server' : 'untrusted'}.key`,
      );
    if (auth) lines.push('auth:', '  htpasswd:', '    realm: lab-realm', `    path: ${this.dir}/htpasswd`);
    writeFileSync(join(rd, 'config.yml'), `${lines.join('\n')}\n`);
    const logFile = join(rd, 'registry.log');
    const fd = openSync(logFile, 'a');
    const proc = spawn('nsenter', this.nsArgs(['docker-registry', 'serve', join(rd, 'config.yml')]), {
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    this.registries.push({ name, addr, proc, logFile });
    await waitFor(
      () => proc.exitCode !== null || readFileSync(logFile, 'utf8').includes('listening on'),
      `registry ${name} on ${addr}`,
    );
    if (proc.exitCode !== null)
      throw new Error(`registry ${name} exited: ${readFileSync(logFile, 'utf8').slice(-1000)}`);
  }

  /**
   * Starts the 429 stand-in on MRATE (HTTPS, lab CA): by default every manifest request is answered "429 Too Many
   * Requests" with a TOOMANYREQUESTS body. `retryAfter`: the Retry-After header (containers/image sleeps that long
   * between its 5 attempts per request; without the header it backs off 2+4+8+16 s). `mode`: which requests get the
   * 429 and with which body (rate-limited-registry.ts MODES). Returns its request log file.
   */
  async startRateLimited(retryAfter: string | null, mode: RateLimitMode = 'manifest-json'): Promise<string> {
    const old = this.registries.find((r) => r.name === 'rate-limited');
    if (old !== undefined) {
      old.proc.kill('SIGTERM');
      await stopped(old.proc);
      this.registries.splice(this.registries.indexOf(old), 1);
    }
    const rd = join(this.dir, 'registries', 'rate-limited');
    mkdirSync(rd, { recursive: true });
    const logFile = join(rd, `requests-${Date.now()}.log`);
    writeFileSync(logFile, '');
    const c = join(this.dir, 'certs');
    const script = join(import.meta.dirname, 'rate-limited-registry.ts');
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (retryAfter === null) delete env.RETRY_AFTER;
    else env.RETRY_AFTER = retryAfter;
    env.MODE = mode;
    const errFile = join(rd, 'stderr.log');
    const fd = openSync(errFile, 'a');
    const proc = spawn(
      'nsenter',
      this.nsArgs([process.execPath, script, MRATE, logFile, `${c}/server.crt`, `${c}/server.key`]),
      { stdio: ['ignore', fd, fd], env },
    );
    closeSync(fd);
    this.registries.push({ name: 'rate-limited', addr: MRATE, proc, logFile });
    await waitFor(
      () => proc.exitCode !== null || readFileSync(logFile, 'utf8').includes('listening on'),
      `the 429 stand-in on ${MRATE}`,
    );
    if (proc.exitCode !== null)
      throw new Error(`the 429 stand-in exited: ${readFileSync(errFile, 'utf8').slice(-1000)}`);
    return logFile;
  }

  /** A one-file image in an OCI layout, byte-for-byte the same on every run (as lab.sh builds it). */
  private buildImage(): void {
    const i = join(this.dir, 'image');
    mkdirSync(join(i, 'rootfs'), { recursive: true });
    mkdirSync(join(i, 'oci/blobs/sha256'), { recursive: true });
    writeFileSync(join(i, 'rootfs/hello.txt'), 'hello from the podman mirror lab\n');
    run('tar', [
      '--sort=name',
      '--mtime=@0',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '--format=posix',
      '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
      '-C',
      join(i, 'rootfs'),
      '-cf',
      join(i, 'layer.tar'),
      'hello.txt',
    ]);
    const tarBytes = readFileSync(join(i, 'layer.tar'));
    run('sh', ['-c', `gzip -n -9 -c '${i}/layer.tar' > '${i}/layer.tar.gz'`]);
    const layer = readFileSync(join(i, 'layer.tar.gz'));
    const blob = (data: Buffer | string): { digest: string; size: number } => {
      const hex = sha256(data);
      writeFileSync(join(i, 'oci/blobs/sha256', hex), data);
      return { digest: `sha256:${hex}`, size: Buffer.byteLength(data) };
    };
    const l = blob(layer);
    const arch = spawnSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).stdout.trim() || 'amd64';
    const config =
      `{"architecture":"${arch}","config":{"Cmd":["/hello.txt"],"Labels":{"lab":"podman-mirror-lab"}},` +
      `"created":"2024-01-01T00:00:00Z","history":[{"created":"2024-01-01T00:00:00Z","created_by":"lab.sh"}],` +
      `"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:${sha256(tarBytes)}"]}}`;
    const cfg = blob(config);
    const manifest =
      `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":` +
      `"application/vnd.oci.image.config.v1+json","digest":"${cfg.digest}","size":${cfg.size}},"layers":` +
      `[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"${l.digest}","size":${l.size}}]}`;
    const man = blob(manifest);
    writeFileSync(join(i, 'oci/oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    writeFileSync(
      join(i, 'oci/index.json'),
      `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` +
        `${man.digest}","size":${man.size},"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}`,
    );
    this.digest = man.digest;
    this.configDigest = cfg.digest;
    this.layerDigest = l.digest;
  }

  private pushImage(): void {
    const empty = join(this.dir, 'empty-registries.conf');
    writeFileSync(empty, 'unqualified-search-registries = []\n');
    const env = { ...process.env, CONTAINERS_REGISTRIES_CONF: empty };
    const src = `oci:${join(this.dir, 'image/oci')}:latest`;
    const pushes: [string, string[]][] = [
      [`${SRC}/${REPO}:latest`, []],
      [`${MA}/${MREPO}:latest`, []],
      [`${MB}/${MREPO}:latest`, []],
      [`${MUNTRUSTED}/${MREPO}:latest`, ['--dest-tls-verify=false']],
      [`${MAUTH}/${MREPO}:latest`, ['--dest-creds', `${USER}:${PASS}`]],
      [`${WILD_SRC_HOST}/${REPO}:latest`, []],
    ];
    for (const [dest, extra] of pushes) {
      this.nsRun(['skopeo', 'copy', '--quiet', '--preserve-digests', ...extra, src, `docker://${dest}`], env);
    }
    // the digest the registry serves must be the one built
    const raw = this.nsRun(['skopeo', 'inspect', '--raw', `docker://${SRC}/${REPO}:latest`], env);
    if (`sha256:${sha256(raw)}` !== this.digest)
      throw new Error(`pushed manifest digest differs from the built one (${this.digest})`);
  }

  writeAuthFile(name: string): string {
    const f = join(this.dir, 'scenarios', `${name}-auth.json`);
    writeFileSync(
      f,
      JSON.stringify({ auths: { [MAUTH]: { auth: Buffer.from(`${USER}:${PASS}`).toString('base64') } } }, null, 2),
    );
    return f;
  }

  private writeConf(name: string, body: string, header = HEADER): string {
    const f = join(this.dir, 'scenarios', `${name}.conf`);
    writeFileSync(f, header + body);
    return f;
  }

  /** Writes a file into the lab's scenario folder (e.g. a policy.json) and returns its path. */
  writeScenarioFile(name: string, body: string): string {
    const f = join(this.dir, 'scenarios', name);
    writeFileSync(f, body);
    return f;
  }

  /** Removes every image from the lab's storage, so each pull starts cold. */
  clearImages(): void {
    spawnSync('nsenter', this.nsArgs(['podman', 'rmi', '--all', '--force']), { stdio: 'ignore', timeout: 60_000 });
  }

  /** `header` replaces the MCO header (search registries, short-name mode) for short-name scenarios. */
  async podmanPull(name: string, conf: string, ref: string, extra: string[] = [], header = HEADER): Promise<RunResult> {
    this.clearImages();
    const registriesConf = this.writeConf(name, conf, header);
    return this.capture(
      name,
      ['podman', 'pull', '--log-level', 'debug', ...extra, ref],
      { CONTAINERS_REGISTRIES_CONF: registriesConf },
      registriesConf,
    );
  }

  /**
   * A pull with a node's own files: registries.conf exactly as given (no header added) and, for this one pull,
   * the lab's /etc/containers/policy.json (the lab's bind-mounted copy; the previous file is put back after).
   */
  async podmanPullNodeFiles(
    name: string,
    files: { registriesConf: string; policyJson: string },
    ref: string,
    extra: string[] = [],
  ): Promise<RunResult> {
    this.clearImages();
    const registriesConf = join(this.dir, 'scenarios', `${name}.conf`);
    writeFileSync(registriesConf, files.registriesConf);
    const policy = join(this.dir, 'etc-containers/policy.json');
    const saved = existsSync(policy) ? readFileSync(policy) : null;
    writeFileSync(policy, files.policyJson);
    try {
      return await this.capture(
        name,
        ['podman', 'pull', '--log-level', 'debug', ...extra, ref],
        { CONTAINERS_REGISTRIES_CONF: registriesConf },
        registriesConf,
      );
    } finally {
      if (saved !== null) writeFileSync(policy, saved);
      else rmSync(policy, { force: true });
    }
  }

  /** A pull with registries.conf exactly as given (no header added): short-name scenarios set their own search list. */
  async podmanPullConf(
    name: string,
    registriesConfText: string,
    ref: string,
    extra: string[] = [],
  ): Promise<RunResult> {
    this.clearImages();
    const registriesConf = join(this.dir, 'scenarios', `${name}.conf`);
    writeFileSync(registriesConf, registriesConfText);
    return this.capture(
      name,
      ['podman', 'pull', '--log-level', 'debug', ...extra, ref],
      { CONTAINERS_REGISTRIES_CONF: registriesConf },
      registriesConf,
    );
  }

  /** skopeo 1.9 ignores CONTAINERS_REGISTRIES_CONF: it takes the hidden --registries-conf flag. */
  async skopeoInspect(name: string, conf: string, ref: string, extra: string[] = []): Promise<RunResult> {
    const registriesConf = this.writeConf(name, conf);
    return this.capture(
      name,
      ['skopeo', '--debug', '--registries-conf', registriesConf, 'inspect', ...extra, `docker://${ref}`],
      {},
      registriesConf,
    );
  }

  private capture(
    name: string,
    cmd: string[],
    env: Record<string, string>,
    registriesConf: string,
  ): Promise<RunResult> {
    const logFile = join(this.dir, 'scenarios', `${name}.log`);
    const fd = openSync(logFile, 'w');
    const proc = spawn('nsenter', this.nsArgs(cmd), { stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
    closeSync(fd);
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => proc.kill('SIGKILL'), this.captureTimeoutMs);
      proc.on('error', reject);
      proc.on('close', (code) => {
        clearTimeout(timer);
        resolvePromise({
          exitCode: code ?? -1,
          logFile,
          log: readFileSync(logFile, 'utf8'),
          registriesConf,
          command: cmd,
        });
      });
    });
  }

  /** Stops everything the lab started, by PID; the namespaces vanish with their last process. */
  async stop(): Promise<void> {
    if (this.nsPid !== 0) this.clearImages();
    for (const r of this.registries) if (r.proc.exitCode === null) r.proc.kill('SIGTERM');
    for (const r of this.registries) await stopped(r.proc);
    if (this.holder !== null && this.holder.exitCode === null) {
      this.holder.kill('SIGTERM');
      await stopped(this.holder);
    }
    if (this.createdVarLibContainers) {
      try {
        rmdirSync('/var/lib/containers');
      } catch {
        // not empty: something else wrote there meanwhile; leave it
      }
    }
    // overlay mounts of the storage vanished with the mount namespace; ICSP_KEEP_TMP=1 (or LAB_KEEP=1) keeps it
    removeTempDir(this.dir);
  }
}

async function stopped(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  await new Promise<void>((r) => {
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      r();
    }, 5000);
    p.once('exit', () => {
      clearTimeout(t);
      r();
    });
  });
}

export function fileSize(f: string): number {
  return statSync(f).size;
}
