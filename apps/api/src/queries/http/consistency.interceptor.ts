// Applies the consistency gate to every query route: a request carrying
// X-Consistency-Token waits for the projection before its handler reads, and
// then reads PostgreSQL itself (the cache may not have seen the change yet).
import {
  Injectable,
  createParamDecorator,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import { ProblemException } from '@tasklog/platform/http';
import { CONSISTENCY_HEADER, ConsistencyGate } from '../consistency.gate.js';

interface ConsistentRequest extends FastifyRequest {
  consistentRead?: boolean;
}

@Injectable()
export class ConsistencyInterceptor implements NestInterceptor {
  constructor(private readonly gate: ConsistencyGate) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const request = context.switchToHttp().getRequest<ConsistentRequest>();
    const token = request.headers[CONSISTENCY_HEADER];
    if (typeof token === 'string' && token !== '') {
      try {
        await this.gate.waitFor(token);
      } catch (error) {
        if (error instanceof ProblemException && error.code === 'SERVICE.UNAVAILABLE') {
          context.switchToHttp().getResponse<FastifyReply>().header('retry-after', String(this.gate.retryAfterSeconds));
        }
        throw error;
      }
      request.consistentRead = true;
    }
    return next.handle();
  }
}

/** True when the request waited for a consistency token: its reads must bypass the cache. */
export const ConsistentRead = createParamDecorator(
  (_data: unknown, context: ExecutionContext): boolean =>
    context.switchToHttp().getRequest<ConsistentRequest>().consistentRead === true,
);
