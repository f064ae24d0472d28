import { Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ProblemException } from '../problems/problem.exception.js';
import type { EdgeRequest } from './auth.decorators.js';
import { assertOwnerOrAdmin } from './ownership.js';
import { isAdmin } from './principal.js';

const OWNED_RESOURCE = 'tasklog:owned-resource';

/** Finds a resource's owner by id; undefined when it does not exist. */
export type OwnerLookup = (id: string) => Promise<string | undefined>;

interface OwnedResourceMeta {
  readonly kind: string;
  readonly param: string;
}

/**
 * Marks a route whose path parameter `param` names a resource of `kind` that
 * only its owner (or admin) may reach: the global OwnershipGuard answers 404
 * for anyone else before the handler runs.
 */
export const OwnedResource = (kind: string, param = 'id') =>
  SetMetadata(OWNED_RESOURCE, { kind, param } satisfies OwnedResourceMeta);

/** Where each module registers how to find the owner of its kind of resource (e.g. 'task' from the read model). */
@Injectable()
export class OwnershipRegistry {
  private readonly kinds = new Map<string, { lookup: OwnerLookup; notFound: (id: string) => ProblemException }>();

  register(kind: string, lookup: OwnerLookup, notFound: (id: string) => ProblemException): void {
    if (this.kinds.has(kind)) throw new Error(`ownership of "${kind}" is registered twice`);
    this.kinds.set(kind, { lookup, notFound });
  }

  get(kind: string) {
    const entry = this.kinds.get(kind);
    if (!entry) throw new Error(`no owner lookup registered for "${kind}"`);
    return entry;
  }
}

/** Runs after AuthGuard; only acts on routes marked with @OwnedResource(). */
@Injectable()
export class OwnershipGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly registry: OwnershipRegistry,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const meta = this.reflector.getAllAndOverride<OwnedResourceMeta | undefined>(OWNED_RESOURCE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!meta) return true;
    const request = context.switchToHttp().getRequest<EdgeRequest & { params: Record<string, string> }>();
    const principal = request.principal;
    const id = request.params[meta.param] ?? '';
    const { lookup, notFound } = this.registry.get(meta.kind);
    if (!principal) throw notFound(id);
    // admin may reach any resource; whether it exists is the handler's answer.
    if (isAdmin(principal)) return true;
    assertOwnerOrAdmin(principal, await lookup(id), () => notFound(id));
    return true;
  }
}
