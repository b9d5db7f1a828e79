// Sends signed `/icsp help` commands to the bot at a fixed pace from a worker thread, so a command's ack time is
// measured by a clock the bot's event loop cannot hold: a request sent while the bot's loop is blocked waits in the
// socket until it is free, and its ack time says so. Used by test/slack/what-if-worker.test.ts and the what-if bench.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { commandForm, postSigned } from './slack-fixtures.ts';

export interface ProbeAck {
  /** When the command was sent (performance.timeOrigin + performance.now(), comparable across threads). */
  sentAt: number;
  ms: number;
  status: number;
}

const MARKER = 'icsp-ack-prober';
const now = (): number => performance.timeOrigin + performance.now();

/** Starts sending; stop() resolves with every ack (all requests sent are awaited). */
export function startAckProber(
  botPort: number,
  responseUrl: string,
  intervalMs = 25,
): { ready: Promise<void>; stop(): Promise<ProbeAck[]> } {
  const w = new Worker(new URL(import.meta.url), { workerData: { [MARKER]: true, botPort, responseUrl, intervalMs } });
  const failed = new Promise<never>((_, reject) => w.once('error', reject));
  const ready = Promise.race([new Promise<void>((r) => w.once('message', () => r())), failed]);
  return {
    ready,
    async stop() {
      await ready;
      const acks = Promise.race([new Promise<ProbeAck[]>((r) => w.once('message', r)), failed]);
      w.postMessage('stop');
      const out = await acks;
      await w.terminate();
      return out;
    },
  };
}

function probe(): void {
  const { botPort, responseUrl, intervalMs } = workerData as {
    botPort: number;
    responseUrl: string;
    intervalMs: number;
  };
  const port = parentPort!;
  const acks: Array<Promise<ProbeAck>> = [];
  const send = (): void => {
    const sentAt = now();
    acks.push(
      postSigned(botPort, commandForm({ text: 'help', responseUrl }), 'application/x-www-form-urlencoded').then(
        (r) => ({ sentAt, ms: r.ms, status: r.status }),
        () => ({ sentAt, ms: now() - sentAt, status: 0 }),
      ),
    );
  };
  const timer = setInterval(send, intervalMs);
  send();
  port.on('message', () => {
    clearInterval(timer);
    void Promise.all(acks).then((a) => port.postMessage(a));
  });
  port.postMessage('ready');
}

if (!isMainThread && (workerData as Record<string, unknown> | null)?.[MARKER] === true) probe();
