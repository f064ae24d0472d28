// Whose tasks a query may read: a user only their own, admin anyone's (or
// everyone's). Another user's task is answered exactly like a missing one.
import { assertOwnerOrAdmin, isAdmin, problems, type Principal } from '@tasklog/platform/http';

/** The owner filter of a list or statistics query; undefined = every user (admin only). */
export function ownerScope(principal: Principal, requestedUserId: string | undefined): string | undefined {
  if (isAdmin(principal)) return requestedUserId;
  if (requestedUserId !== undefined && requestedUserId !== principal.userId) {
    throw problems.forbidden("Only admin may read another user's tasks");
  }
  return principal.userId;
}

/** 404 TASK.NOT_FOUND unless the task exists and is the principal's (or the principal is admin). */
export function assertVisible(principal: Principal, taskId: string, ownerId: string | undefined): void {
  assertOwnerOrAdmin(principal, ownerId, () => problems.taskNotFound(taskId));
}
