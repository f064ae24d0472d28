// Who is calling: the identity every guard, ownership check and rate limit
// works with, whatever the credentials were.

export const SCOPES = ['tasks:read', 'tasks:write', 'webhooks:manage', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}

export interface Principal {
  /** The user id: owner of the tasks this principal creates. */
  readonly userId: string;
  readonly scopes: readonly Scope[];
  readonly via: 'jwt' | 'api-key';
  /** The API key's id, or the token's `jti` when it has one. */
  readonly credentialId?: string;
}

export function isAdmin(principal: Principal): boolean {
  return principal.scopes.includes('admin');
}

/** admin stands for every scope: the operator must be able to do what any user can. */
export function hasScopes(principal: Principal, required: readonly Scope[]): boolean {
  return isAdmin(principal) || required.every((scope) => principal.scopes.includes(scope));
}

/** The key per-principal rate limits count under. */
export function rateLimitKey(principal: Principal): string {
  return principal.via === 'api-key' ? `key:${principal.credentialId}` : `user:${principal.userId}`;
}
