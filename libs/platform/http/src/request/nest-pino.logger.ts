import type { LoggerService } from '@nestjs/common';
import { currentRequestContext, type Logger } from '@tasklog/platform/observability';

/**
 * Nest's own log lines (bootstrap, route mapping, framework errors) through
 * the app's pino logger, so every line is JSON and lines written during a
 * request carry its requestId.
 */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly root: Logger) {}

  log(message: unknown, context?: string): void {
    this.write('info', message, context);
  }
  error(message: unknown, stackOrContext?: string, context?: string): void {
    const stack = context === undefined ? undefined : stackOrContext;
    this.write('error', message, context ?? stackOrContext, stack);
  }
  warn(message: unknown, context?: string): void {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.write('trace', message, context);
  }
  fatal(message: unknown, context?: string): void {
    this.write('fatal', message, context);
  }

  private write(
    level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal',
    message: unknown,
    context?: string,
    stack?: string,
  ): void {
    const logger = currentRequestContext()?.logger ?? this.root;
    const fields = { component: 'nest', ...(context ? { context } : {}), ...(stack ? { stack } : {}) };
    if (message instanceof Error) logger[level]({ ...fields, err: message }, message.message);
    else if (typeof message === 'string') logger[level](fields, message);
    else logger[level]({ ...fields, detail: message }, 'nest');
  }
}
