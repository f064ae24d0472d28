// Every task belongs to its owner (DESIGN.md §7). Another user's resource is
// answered exactly like a missing one, 404, so ids cannot be probed; admin
// sees everything.
import type { ProblemException } from '../problems/problem.exception.js';
import { problems } from '../problems/problem.exception.js';
import { isAdmin, type Principal } from './principal.js';

/** Throws the not-found problem unless the resource exists and is the principal's (or the principal is admin). */
export function assertOwnerOrAdmin(
  principal: Principal,
  ownerId: string | undefined,
  notFound: () => ProblemException = () => problems.taskNotFound('requested'),
): void {
  if (ownerId === undefined) throw notFound();
  if (!isAdmin(principal) && ownerId !== principal.userId) throw notFound();
}

/** The owner filter of a list query: the principal's user id, or undefined (no filter) for admin. */
export function ownerFilter(principal: Principal): string | undefined {
  return isAdmin(principal) ? undefined : principal.userId;
}
