// Bench of the evidence parser: builds logs of 10 MB and 100 MB from the real captured podman/skopeo lines
// (test/fixtures/podman/*/output.log, the repository's copy of ../shared/fixtures/podman, repeated), parses each in a
// fresh child process, and prints MB/s and peak memory. A fresh process per size makes each peak its own; the ratio
// shows memory does not grow with size.
//   npx node bench/evidence-bench.ts [sizesMB...]      (default 10 100)
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readEvidenceFromFile } from '../src/files/log-lines.ts';
import { makeTempDir, removeTempDir } from '../test/helpers/temp-dir.ts';

const FIXTURES = `${fileURLToPath(new URL('../test/fixtures/podman', import.meta.url))}/`;
const EVENTS = fileURLToPath(new URL('../test/fixtures/kubelet-events/', import.meta.url));

async function child(file: string): Promise<void> {
  const t0 = process.hrtime.bigint();
  const r = await readEvidenceFromFile(file);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  // maxRSS is in KiB: the peak of this process, which did nothing but parse this file
  const peakKiB = process.resourceUsage().maxRSS;
  process.stdout.write(
    JSON.stringify({
      bytes: r.bytes,
      seconds,
      peakKiB,
      lines: r.evidence.stats.lines,
      attempts: r.evidence.attempts.length,
      dropped: r.evidence.stats.droppedAttempts,
    }),
  );
}

/** Podman debug logs, or (events) the kubelet-event corpus: event texts, describe and get-events pastes. */
function buildLog(dir: string, mb: number, kind: 'podman' | 'events' = 'podman'): string {
  const logs =
    kind === 'podman'
      ? readdirSync(FIXTURES)
          .map((s) => join(FIXTURES, s, 'output.log'))
          .filter((f) => existsSync(f))
          .map((f) => readFileSync(f))
      : readdirSync(EVENTS).flatMap((s) =>
          readdirSync(join(EVENTS, s))
            .filter((f) => f.endsWith('.txt'))
            .map((f) => readFileSync(join(EVENTS, s, f))),
        );
  if (logs.length === 0) throw new Error(`no fixture logs under ${kind === 'podman' ? FIXTURES : EVENTS}`);
  const file = join(dir, `${kind}-${mb}MB.log`);
  const fd = openSync(file, 'w');
  let written = 0;
  for (let i = 0; written < mb * 1024 * 1024; i++) {
    const chunk = logs[i % logs.length] ?? Buffer.alloc(0);
    writeSync(fd, chunk);
    written += chunk.length;
  }
  closeSync(fd);
  return file;
}

interface ChildResult {
  bytes: number;
  seconds: number;
  peakKiB: number;
  lines: number;
  attempts: number;
  dropped: number;
}

function runChild(file: string): ChildResult {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', file], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`bench child failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ChildResult;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    await child(process.argv[3] ?? '');
    return;
  }
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((n) => n > 0);
  const mbs = sizes.length > 0 ? sizes : [10, 100];
  const dir = makeTempDir('evidence-bench.');
  try {
    const empty = join(dir, 'empty.log');
    closeSync(openSync(empty, 'w'));
    const base = runChild(empty);
    console.log(`baseline (empty log): peak RSS ${(base.peakKiB / 1024).toFixed(1)} MiB`);
    const results: [number, ChildResult][] = [];
    for (const mb of mbs) {
      const file = buildLog(dir, mb);
      const r = runChild(file);
      rmSync(file);
      results.push([mb, r]);
      const mbps = r.bytes / 1024 / 1024 / r.seconds;
      console.log(
        `${String(mb).padStart(4)} MB: ${r.lines} lines in ${r.seconds.toFixed(2)} s = ${mbps.toFixed(1)} ` +
          `MB/s; peak RSS ${(r.peakKiB / 1024).toFixed(1)} MiB (+` +
          `${((r.peakKiB - base.peakKiB) / 1024).toFixed(1)} MiB over baseline); ${r.attempts} attempts ` +
          `kept, ${r.dropped} older ones dropped`,
      );
    }
    // the event parser (kubelet events, waiting messages, describe pastes) per byte against the log parser, on
    // inputs of the same size; best of 3 alternating runs each, so a busy shared machine does not decide it
    const evMb = mbs[0] ?? 10;
    const evFile = buildLog(dir, evMb, 'events');
    const logFile = buildLog(dir, evMb, 'podman');
    let evRate = 0;
    let logRate = 0;
    let ev: ChildResult | null = null;
    for (let i = 0; i < 3; i++) {
      const e = runChild(evFile);
      const l = runChild(logFile);
      if (e.bytes / e.seconds > evRate) {
        evRate = e.bytes / e.seconds;
        ev = e;
      }
      logRate = Math.max(logRate, l.bytes / l.seconds);
    }
    rmSync(evFile);
    rmSync(logFile);
    console.log(
      `events ${evMb} MB: ${ev?.lines ?? 0} lines, ${(evRate / 1024 / 1024).toFixed(1)} MB/s vs the ` +
        `log parser's ${(logRate / 1024 / 1024).toFixed(1)} MB/s (best of 3); peak ` +
        `RSS ${((ev?.peakKiB ?? 0) / 1024).toFixed(1)} MiB; event/log speed per byte ` +
        `= ${(evRate / logRate).toFixed(2)} ` +
        `${evRate >= logRate ? '(at least as fast)' : 'SLOWER THAN THE LOG PARSER'}`,
    );
    if (evRate < logRate) process.exitCode = 1;
    const first = results[0];
    const last = results[results.length - 1];
    if (first !== undefined && last !== undefined && first !== last) {
      const ratio = last[1].peakKiB / first[1].peakKiB;
      console.log(
        `peak RSS ratio ${last[0]} MB / ${first[0]} MB = ${ratio.toFixed(2)} (input ` +
          `ratio ${(last[0] / first[0]).toFixed(0)}): ` +
          `${ratio < 1.5 ? 'memory does not grow with the log size' : 'MEMORY GROWS WITH THE LOG SIZE'}`,
      );
      if (ratio >= 1.5) process.exitCode = 1;
    }
  } finally {
    removeTempDir(dir);
  }
}

await main();
