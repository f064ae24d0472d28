// How a problem leaves a gRPC call (ADR 0013): its status code, the detail as
// the status message, and the problem's code and extensions as trailing
// metadata. Shared by the commands and the queries services.
import grpc from '@grpc/grpc-js';
import type { ProblemCode, ProblemException } from '@tasklog/platform/http';

const GRPC_STATUS: Partial<Record<ProblemCode, grpc.status>> = {
  'AUTH.UNAUTHENTICATED': grpc.status.UNAUTHENTICATED,
  'AUTH.FORBIDDEN': grpc.status.PERMISSION_DENIED,
  RATE_LIMITED: grpc.status.RESOURCE_EXHAUSTED,
  'REQUEST.VALIDATION': grpc.status.INVALID_ARGUMENT,
  'REQUEST.MALFORMED': grpc.status.INVALID_ARGUMENT,
  'TASK.VALIDATION': grpc.status.INVALID_ARGUMENT,
  'IDEMPOTENCY.KEY_REUSED': grpc.status.INVALID_ARGUMENT,
  'TASK.NOT_FOUND': grpc.status.NOT_FOUND,
  'COMMAND.NOT_FOUND': grpc.status.NOT_FOUND,
  'PROJECTION.NOT_FOUND': grpc.status.NOT_FOUND,
  'TASK.ALREADY_EXISTS': grpc.status.ALREADY_EXISTS,
  // The task is not in the state the command needs (HTTP 412 and 409).
  'TASK.VERSION_CONFLICT': grpc.status.FAILED_PRECONDITION,
  'TASK.INVALID_TRANSITION': grpc.status.FAILED_PRECONDITION,
  'TASK.DELETED': grpc.status.FAILED_PRECONDITION,
  'PROJECTION.REBUILD_IN_PROGRESS': grpc.status.FAILED_PRECONDITION,
  'SERVICE.UNAVAILABLE': grpc.status.UNAVAILABLE,
};

/**
 * The gRPC error of a problem. Text metadata must be printable ASCII (grpc-js
 * throws otherwise), and problems carry user text (field errors, details):
 * JSON values escape everything else as \uXXXX (still the same JSON), plain
 * values percent-encode it (like the status message, grpc-message).
 */
export function grpcErrorOf(problem: ProblemException): {
  code: grpc.status;
  details: string;
  metadata: grpc.Metadata;
} {
  const metadata = new grpc.Metadata();
  metadata.set('tasklog-code', asciiText(problem.code));
  const { currentVersion, errors, retryAfter, commandId } = problem.extensions;
  if (currentVersion !== undefined) metadata.set('tasklog-current-version', asciiText(String(currentVersion)));
  if (errors !== undefined) metadata.set('tasklog-field-errors', asciiJson(errors));
  if (retryAfter !== undefined) metadata.set('retry-after', asciiText(String(retryAfter)));
  if (commandId !== undefined) metadata.set('tasklog-command-id', asciiText(String(commandId)));
  return { code: GRPC_STATUS[problem.code] ?? grpc.status.INTERNAL, details: problem.detail, metadata };
}

const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]/g;

/** JSON whose every character outside printable ASCII is a \uXXXX escape: it parses to the same value. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    NOT_PRINTABLE_ASCII,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

// encodeURIComponent throws on half a surrogate pair: such text becomes U+FFFD first.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Percent-encodes (UTF-8) what is not printable ASCII, and `%` itself, so decodeURIComponent restores it. */
export function asciiText(text: string): string {
  return /[^\x20-\x7e]|%/.test(text)
    ? text.replace(LONE_SURROGATE, '\ufffd').replace(/[^\x20-\x7e]+|%/gu, (chars: string) => encodeURIComponent(chars))
    : text;
}
