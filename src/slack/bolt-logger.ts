// Bolt's Logger interface over a pino logger (which redacts and scrubs tokens).
import type { Logger as BoltLogger, LogLevel } from '@slack/bolt';
import type { Logger } from '../ports/logger.ts';

const toPino: Record<string, string> = { debug: 'debug', info: 'info', warn: 'warn', error: 'error' };

export function boltLogger(base: Logger): BoltLogger {
  let log = base;
  const text = (msgs: unknown[]): string =>
    msgs.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : JSON.stringify(m))).join(' ');
  return {
    // The level check first: Bolt debug-logs whole payloads, which must cost nothing when debug is off.
    debug: (...m: unknown[]) => log.isLevelEnabled('debug') && log.debug(text(m)),
    info: (...m: unknown[]) => log.isLevelEnabled('info') && log.info(text(m)),
    warn: (...m: unknown[]) => log.isLevelEnabled('warn') && log.warn(text(m)),
    error: (...m: unknown[]) => log.isLevelEnabled('error') && log.error(text(m)),
    setLevel: (level: LogLevel) => {
      // The process log level (LOG_LEVEL) wins; Bolt asks for its own default here.
      void level;
    },
    getLevel: () => (toPino[log.level] ?? 'info') as LogLevel,
    setName: (name: string) => {
      log = base.child({ component: name });
    },
  };
}
