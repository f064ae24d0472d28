import { ArgumentsHost, Catch, HttpException, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '@tasklog/platform/observability';
import { codeForStatus } from './problem.catalogue.js';
import { ProblemException, problem } from './problem.exception.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/**
 * Turns every error that leaves a request into an RFC 9457 problem: ours
 * (ProblemException), Nest's HttpExceptions, Fastify's own 4xx (body too
 * large, media type, bad JSON; the Nest adapter maps them to HttpException)
 * and anything unexpected, which is logged and answered as INTERNAL without
 * leaking its message.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const exception = this.toProblem(error, request);
    const body = { ...exception.toBody(request.url.split('?')[0]), requestId: request.id };
    if (exception.code === 'AUTH.UNAUTHENTICATED') reply.header('www-authenticate', 'Bearer realm="tasklog"');
    if (exception.code === 'RATE_LIMITED' && !reply.hasHeader('retry-after')) {
      reply.header('retry-after', String(exception.extensions['retryAfter'] ?? 1));
    }
    void reply.status(exception.getStatus()).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
  }

  private toProblem(error: unknown, request: FastifyRequest): ProblemException {
    if (error instanceof ProblemException) return error;
    if (error instanceof HttpException && error.getStatus() < 500) return fromHttpException(error);
    const log = request.log ?? this.logger;
    log.error({ err: error }, 'unhandled error');
    if (error instanceof HttpException && error.getStatus() === 503)
      return problem('SERVICE.UNAVAILABLE', error.message);
    return problem('INTERNAL', 'An unexpected error occurred; quote the requestId when reporting it');
  }
}

function fromHttpException(error: HttpException): ProblemException {
  const status = error.getStatus();
  const code = codeForStatus(status);
  return new ProblemException(code, detailOf(error), {}, { cause: error });
}

function detailOf(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : error.message;
}
