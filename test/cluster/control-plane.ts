// Starts and stops the real control plane (etcd + kube-apiserver) for the cluster tests.
// Default: the one-binary build of test/controlplane (built once, cached). With
// KUBEBUILDER_ASSETS set (envtest convention), the etcd and kube-apiserver binaries found there.
import { execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { startFromAssets } from './envtest-assets.ts';
import {
  forgetDir,
  installReapers,
  removeOnExit,
  spawnLogged,
  stopAll,
  stopChild,
  track,
  waitFor,
} from './processes.ts';

/** What the harness knows about a running control plane (DIR/ready.json of the Go binary). */
export interface ReadyInfo {
  apiServerURL: string;
  etcdURL: string;
  caFile: string;
  adminCertFile: string;
  adminKeyFile: string;
  /** Serving certificate for the fake kubelet, signed by the cluster CA (Node cannot mint X.509). */
  kubeletCertFile: string;
  kubeletKeyFile: string;
  /** /version's gitVersion, e.g. v1.36.3. */
  version: string;
}

export interface ControlPlane {
  info: ReadyInfo;
  logFile: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** kube-apiserver --min-request-timeout in seconds: watches are closed after 1-2x this. */
  minRequestTimeoutSeconds?: number;
  readyTimeoutMs?: number;
  /** Log file name under .cache/cluster-tests/ (a second control plane, e.g. the fleet test, needs its own). */
  logName?: string;
}

const repoRoot = resolve(import.meta.dirname, '../..');

export async function startControlPlane(opts: StartOptions = {}): Promise<ControlPlane> {
  installReapers();
  const dir = makeTempDir('icsp-controlplane-');
  removeOnExit(dir);
  const logFile = join(repoRoot, '.cache', 'cluster-tests', opts.logName ?? 'controlplane.log');
  mkdirSync(dirname(logFile), { recursive: true });
  writeFileSync(logFile, ''); // one run's log only
  const assets = process.env.KUBEBUILDER_ASSETS;
  let started: { info: ReadyInfo; children: ChildProcess[] };
  try {
    started = assets ? await startFromAssets(assets, dir, logFile, opts) : await startBinary(dir, logFile, opts);
  } catch (err) {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    ...started,
    logFile,
    async stop() {
      // In order: kube-apiserver before etcd, or its shutdown waits for the storage it lost.
      for (const c of started.children) await stopChild(c);
      rmSync(dir, { recursive: true, force: true });
      forgetDir(dir);
    },
  };
}

async function startBinary(
  dir: string,
  logFile: string,
  opts: StartOptions,
): Promise<{ info: ReadyInfo; children: ChildProcess[] }> {
  const binary = controlPlaneBinary();
  const args = [
    'run',
    '--dir',
    dir,
    '--remove-dir-on-exit',
    '--min-request-timeout',
    String(opts.minRequestTimeoutSeconds ?? 1800),
  ];
  const child = track(spawnLogged(binary, args, logFile));
  const readyFile = join(dir, 'ready.json');
  await waitFor(() => existsSync(readyFile), child, logFile, opts.readyTimeoutMs ?? 120_000);
  return { info: JSON.parse(readFileSync(readyFile, 'utf8')) as ReadyInfo, children: [child] };
}

/** The cached binary's path; build.sh builds it first if it is missing (cold: many minutes). */
export function controlPlaneBinary(): string {
  const out = execFileSync('bash', [join(repoRoot, 'test/controlplane/build.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').at(-1) ?? '';
}
