// Child processes of the cluster tests: own process group, log file, and a guarantee that they
// die with the test runner (teardown, Ctrl-C, crash).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Children still running; killed from exit/signal handlers if teardown never runs. */
const live = new Set<ChildProcess>();

/**
 * Spawns in its own process group (so teardown can kill the whole group) with stdin as a pipe
 * the child watches: when this process dies for any reason the pipe closes and the child stops.
 */
export function spawnLogged(
  command: string,
  args: string[],
  logFile: string,
  env: Record<string, string> = {},
): ChildProcess {
  const fd = openSync(logFile, 'a');
  try {
    return spawn(command, args, { detached: true, stdio: ['pipe', fd, fd], env: { ...process.env, ...env } });
  } finally {
    closeSync(fd);
  }
}

export function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

export async function waitFor(
  ok: () => boolean | Promise<boolean>,
  child: ChildProcess | ChildProcess[],
  logFile: string,
  timeoutMs: number,
): Promise<void> {
  const children = Array.isArray(child) ? child : [child];
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    const dead = children.find((c) => c.exitCode !== null || c.signalCode !== null);
    if (dead)
      throw new Error(
        `control plane exited (${dead.exitCode ?? dead.signalCode}) before it was ready:\n${tail(logFile)}`,
      );
    if (Date.now() > deadline) throw new Error(`control plane not ready after ${timeoutMs} ms:\n${tail(logFile)}`);
    await sleep(100);
  }
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** SIGTERM to the group, SIGKILL if it is still there after the grace period. */
export async function stopChild(child: ChildProcess, graceMs = 25_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Stops every child this process still has (a start that failed half-way). */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((c) => stopChild(c)));
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

let reapersInstalled = false;

const scratchDirs = new Set<string>();

/** A directory to delete when this process exits, however it exits. */
export function removeOnExit(dir: string): void {
  scratchDirs.add(dir);
}

export function forgetDir(dir: string): void {
  scratchDirs.delete(dir);
}

/**
 * Teardown does not run on Ctrl-C or a crash of the runner: stop what is left from here too.
 * SIGTERM, not SIGKILL: the children shut down within seconds on their own (the Go binary has a
 * hard deadline) and clean up after themselves, which a SIGKILL would prevent.
 */
export function installReapers(): void {
  if (reapersInstalled) return;
  reapersInstalled = true;
  process.once('exit', () => {
    for (const c of live) killGroup(c, 'SIGTERM');
    for (const d of scratchDirs) rmSync(d, { recursive: true, force: true });
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      for (const c of live) killGroup(c, 'SIGTERM');
      process.off(signal, onSignal);
      // Re-raise only if nobody else (vitest) handles it, to keep the default exit.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
