import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { problems } from '../problems/problem.exception.js';
import type { Principal, Scope } from './principal.js';

export const PUBLIC_ROUTE = 'tasklog:public';
export const REQUIRED_SCOPES = 'tasklog:scopes';

/**
 * Opens a route to anonymous callers and exempts it from rate limits:
 * health, metrics and the API docs. Every other route needs credentials.
 */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** The scopes a route needs, all of them (admin stands for any). */
export const Scopes = (...scopes: Scope[]) => SetMetadata(REQUIRED_SCOPES, scopes);

/** The request as the edge decorates it. */
export interface EdgeRequest {
  principal?: Principal;
}

/** Injects the authenticated caller into a handler parameter. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<EdgeRequest>().principal;
  // Only reachable on a @Public() route, where asking for a principal is a bug.
  if (!principal) throw problems.unauthenticated();
  return principal;
});
