// The one logger port: every component that logs takes a `Logger` (or the narrower `LogSink`) from here. The
// process logger behind it is pino (src/observability/logger.ts: JSON lines, tokens redacted and scrubbed); tests
// pass a pino logger writing to memory.
import type { Logger } from 'pino';

export type { Logger };

/** What a component needs to report: structured fields first, then the message. */
export type LogSink = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
