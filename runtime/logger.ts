import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * One root logger per process, JSON to stderr (stdout belongs to the CLI's own output: progress,
 * summary tables). Components take `logger.child({ component })`.
 */
export function createLogger(level: string): Logger {
  return pino({ level, base: { app: 'polyflow' } }, pino.destination(2));
}
