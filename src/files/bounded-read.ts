// Reads input with a byte budget shared by every file and stdin of one command, and never blocks on a FIFO or a
// device where only a regular file makes sense (a FIFO named *.yaml in a directory, or given as registries.conf).
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { EngineError } from '../domain/engine-error.ts';

const MIB = 1024 * 1024;
const size = (n: number): string => (n % MIB === 0 ? `${n / MIB} MiB` : `${n} bytes`);

/** What is left of one command's input budget. */
export class ByteBudget {
  private used = 0;
  readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  take(n: number, what: string): void {
    this.used += n;
    if (this.used > this.max) {
      throw new EngineError(
        'input',
        `${what}: input larger than ${size(this.max)} (all files and stdin ` +
          `together); raise ICSP_MAX_INPUT_BYTES if it is genuine`,
      );
    }
  }
}

function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ELOOP':
      return 'too many symbolic links';
    default:
      return code ?? String(e);
  }
}

/** Reads a stream (stdin, a pipe) within the budget; stops reading as soon as it is exceeded. */
export async function readStreamBounded(stream: Readable, what: string, budget: ByteBudget): Promise<string> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of stream) {
      const b = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
      budget.take(b.length, what);
      chunks.push(b);
    }
  } finally {
    // Leave nothing half-read behind (an endless /dev/zero must not keep the process alive).
    if (!stream.readableEnded) stream.destroy();
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Reads a file within the budget. `regularOnly`: refuse FIFOs, sockets and devices (they may block forever or never
 * end). Otherwise a pipe (e.g. `--policies <(oc get idms -o yaml)`) is read as a stream, within the same budget.
 * O_NONBLOCK: opening a FIFO without a writer must not hang before the type check.
 */
export async function readFileBounded(path: string, budget: ByteBudget, regularOnly: boolean): Promise<string> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new EngineError('input', `${path}: ${errnoText(e)}`);
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new EngineError('input', `${path}: is a directory`);
    if (!st.isFile()) {
      if (regularOnly || !st.isFIFO())
        throw new EngineError('input', `${path}: not a regular file (a FIFO, socket or device); give a file`);
      await fh.close();
      fh = await open(path, constants.O_RDONLY);
      return await readStreamBounded(fh.createReadStream({ autoClose: false }), path, budget);
    }
    budget.take(st.size, path);
    const buf = Buffer.alloc(Math.min(st.size + 1, budget.max + 1));
    let n = 0;
    for (;;) {
      const r = await fh.read(buf, n, buf.length - n, null);
      if (r.bytesRead === 0) break;
      n += r.bytesRead;
      // The file grew while we read it: count the growth too.
      if (n === buf.length) throw new EngineError('input', `${path}: changed size while being read`);
    }
    return buf.subarray(0, n).toString('utf8');
  } catch (e) {
    if (e instanceof EngineError) throw e;
    throw new EngineError('input', `${path}: ${errnoText(e)}`);
  } finally {
    await fh.close().catch(() => undefined);
  }
}
