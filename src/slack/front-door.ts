// The HTTP front door in front of Bolt's HTTPReceiver. Bolt checks the signature and that the timestamp is not older
// than 5 minutes; it does not refuse timestamps in the future, runs a byte-for-byte replay again, leaves a signed
// body of `null` unanswered (its listener throws before any response) and answers 500 to payloads its listeners
// cannot read. Here, before Bolt sees a request: the body is read within a limit, the signature and a timestamp
// within ±5 minutes are checked, a signature already seen in that window is acknowledged and dropped (bounded
// memory), and the parsed payload must have the shape the listeners read (payload-check.ts), else 400.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { Logger } from '../ports/logger.ts';
import { messageOf } from '../domain/error-text.ts';
import { checkPayload } from './payload-check.ts';

export interface FrontDoorOptions {
  signingSecret: string;
  logger: Logger;
  /** Path of the events endpoint (Bolt's default). */
  path?: string;
  /** Bytes of one request body at most (Bolt's default: 4 MB). */
  bodyLimit?: number;
  /** Signatures remembered for replay detection at most. */
  maxRemembered?: number;
  now?: () => number;
}

export const WINDOW_SECONDS = 300;

/** Signatures seen within the window, oldest first; bounded: the oldest are forgotten first. */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();
  private readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  /** True the first time a signature is presented within the window. */
  firstTime(signature: string, nowSec: number): boolean {
    for (const [k, t] of this.seen) {
      if (nowSec - t <= 2 * WINDOW_SECONDS && this.seen.size < this.max) break;
      this.seen.delete(k);
    }
    if (this.seen.has(signature)) return false;
    this.seen.set(signature, nowSec);
    return true;
  }
  get size(): number {
    return this.seen.size;
  }
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

function answer(res: ServerResponse, status: number, text = ''): void {
  if (res.headersSent) return;
  res.writeHead(status, text === '' ? {} : { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      n += c.length;
      if (n > limit) {
        done = true;
        req.resume();
        resolve('too-large');
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/** Parses a body as Bolt does (form with a JSON `payload`, a plain form, or JSON); undefined when it cannot. */
function parseBody(raw: string, contentType: string | undefined): { value: unknown } | undefined {
  try {
    if (contentType === 'application/x-www-form-urlencoded') {
      const q = parseQuery(raw);
      if (Array.isArray(q['payload'])) return undefined;
      return { value: typeof q['payload'] === 'string' ? (JSON.parse(q['payload']) as unknown) : { ...q } };
    }
    return { value: JSON.parse(raw) as unknown };
  } catch {
    return undefined;
  }
}

/** Wraps Bolt's request listener (HTTPReceiver.requestListener) with the checks above. */
export function frontDoor(bolt: Listener, o: FrontDoorOptions): Listener {
  const path = o.path ?? '/slack/events';
  const limit = o.bodyLimit ?? 4 * 1024 * 1024;
  const now = o.now ?? Date.now;
  const replays = new ReplayGuard(o.maxRemembered ?? 20_000);
  const secret = o.signingSecret;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, limit);
    if (body === 'too-large') return answer(res, 413, 'request body too large');
    // Bolt reuses a body that is already read (bufferIncomingMessage checks rawBody).
    (req as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
    const raw = body.toString('utf8');
    const contentType = header(req, 'content-type');
    // Slack's ssl_check carries no signature; Bolt answers it and strips anything else in the body.
    if (contentType === 'application/x-www-form-urlencoded' && parseQuery(raw)['ssl_check'] === '1')
      return bolt(req, res);

    const signature = header(req, 'x-slack-signature');
    const tsText = header(req, 'x-slack-request-timestamp');
    if (
      signature === undefined ||
      tsText === undefined ||
      !/^v0=[0-9a-f]{64}$/.test(signature) ||
      !/^[0-9]{1,12}$/.test(tsText)
    ) {
      o.logger.warn(
        { remote: req.socket.remoteAddress },
        'slack request refused: missing or malformed signature headers',
      );
      return answer(res, 401);
    }
    const nowSec = Math.floor(now() / 1000);
    const ts = Number(tsText);
    if (Math.abs(nowSec - ts) > WINDOW_SECONDS) {
      o.logger.warn({ skewSeconds: ts - nowSec }, 'slack request refused: timestamp outside the 5-minute window');
      return answer(res, 401);
    }
    const want = Buffer.from(`v0=${createHmac('sha256', secret).update(`v0:${tsText}:`).update(body).digest('hex')}`);
    if (!timingSafeEqual(want, Buffer.from(signature))) {
      o.logger.warn({}, 'slack request refused: bad signature');
      return answer(res, 401);
    }
    if (!replays.firstTime(signature, nowSec)) {
      // 200: a replay (or a proxy's resend) must not be retried; it is simply not run a second time.
      o.logger.warn(
        { retryNum: header(req, 'x-slack-retry-num') },
        'duplicate event dropped: identical signed request already received (a replay, or a Slack retry)',
      );
      return answer(res, 200);
    }
    const parsed = parseBody(raw, contentType);
    if (parsed === undefined) {
      o.logger.warn({ contentType }, 'slack request refused: the body is not valid JSON or form data');
      return answer(res, 400, 'The request body is not valid JSON or form data.');
    }
    const b = parsed.value as { type?: unknown } | null;
    if (b !== null && typeof b === 'object' && b.type === 'url_verification') return bolt(req, res);
    const verdict = checkPayload(parsed.value);
    if (!verdict.ok) {
      o.logger.warn({ error: verdict.error }, 'slack request refused: malformed payload');
      return answer(res, 400, `The request was refused: ${verdict.error}.`);
    }
    if (verdict.kind === 'ignored') {
      o.logger.debug({ what: verdict.why }, 'slack request acknowledged, nothing to do');
      return answer(res, 200);
    }
    bolt(req, res);
  }

  return (req, res) => {
    const url = req.url ?? '';
    const p = url.split('?')[0];
    if (req.method !== 'POST' || p !== path) {
      bolt(req, res);
      return;
    }
    handle(req, res).catch((e: unknown) => {
      o.logger.error({ err: messageOf(e) }, 'slack front door failed');
      answer(res, 400, 'The request could not be read.');
    });
  };
}
