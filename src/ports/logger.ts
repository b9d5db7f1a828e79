// The one logger port. Components that report take a `LogSink` (structured fields first, then the message);
// the Slack app takes the full `Logger` (it makes children and checks levels). Behind both is the process's pino
// logger (src/observability/logger.ts: JSON lines, tokens redacted and scrubbed); src/main.ts hands a child of it
// to every component, and tests pass a pino logger that writes to memory.
import type { Logger } from 'pino';

export type { Logger };

export interface LogSink {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

/** For components whose caller passes no logger (tests, one-shot CLI runs). */
export const silentLog: LogSink = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
