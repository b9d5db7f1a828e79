// The process logger: pino, JSON lines. Token, secret and authorization fields are redacted by path, and Slack
// tokens (xoxb-, xoxp-, xapp-, …) and the configured secrets are scrubbed from every string that is logged, so
// no token reaches a log line even when a library logs it inside a message.
import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';

export type { Logger } from '../ports/logger.ts';

export const REDACT_PATHS = [
  'token',
  '*.token',
  '*.*.token',
  'botToken',
  '*.botToken',
  'appToken',
  '*.appToken',
  'signingSecret',
  '*.signingSecret',
  'secret',
  '*.secret',
  'clientSecret',
  '*.clientSecret',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'Authorization',
  '*.Authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers["x-slack-signature"]',
  '*.headers["x-slack-signature"]',
];

const TOKEN_RE = /\bx(?:ox[abposre]|app)-[A-Za-z0-9-]+/g;

export interface LoggerOptions {
  level?: string;
  /** Literal secrets to scrub wherever they appear (the signing secret, the tokens). */
  secrets?: readonly string[];
  destination?: DestinationStream;
  name?: string;
}

export function scrubber(secrets: readonly string[]): (s: string) => string {
  const lits = secrets.filter((s) => s.length >= 6);
  return (s: string): string => {
    let out = s.replace(TOKEN_RE, '[REDACTED]');
    for (const l of lits) out = out.split(l).join('[REDACTED]');
    return out;
  };
}

function scrubDeep(v: unknown, scrub: (s: string) => string, depth = 0): unknown {
  if (typeof v === 'string') return scrub(v);
  if (depth > 6 || v === null || typeof v !== 'object') return v;
  if (v instanceof Error) {
    const e = new Error(scrub(v.message));
    e.name = v.name;
    if (v.stack !== undefined) e.stack = scrub(v.stack);
    return e;
  }
  if (Array.isArray(v)) return v.map((x) => scrubDeep(x, scrub, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = scrubDeep(x, scrub, depth + 1);
  return out;
}

export function createLogger(o: LoggerOptions = {}): Logger {
  const scrub = scrubber(o.secrets ?? []);
  const options: pino.LoggerOptions = {
    level: o.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    hooks: {
      logMethod(args, method) {
        const clean = args.map((a) => scrubDeep(a, scrub)) as Parameters<typeof method>;
        method.apply(this, clean);
      },
    },
  };
  if (o.name !== undefined) options.name = o.name;
  return o.destination === undefined ? pino(options) : pino(options, o.destination);
}
