import { describe, expect, it } from '@jest/globals';
import grpc from '@grpc/grpc-js';
import { problem, problems } from '@tasklog/platform/http';
import { asciiJson, asciiText, grpcErrorOf } from '../src/grpc/grpc-errors.js';

describe('gRPC errors of problems', () => {
  it('map codes to statuses and extensions to metadata', () => {
    const { code, details, metadata } = grpcErrorOf(
      problem('TASK.VERSION_CONFLICT', 'Expected version 3', { currentVersion: 4, commandId: 'c-1' }),
    );
    expect(code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(details).toBe('Expected version 3');
    expect(metadata.get('tasklog-code')).toEqual(['TASK.VERSION_CONFLICT']);
    expect(metadata.get('tasklog-current-version')).toEqual(['4']);
    expect(metadata.get('tasklog-command-id')).toEqual(['c-1']);
    expect(grpcErrorOf(problem('PROJECTION.REBUILD_IN_PROGRESS', 'busy')).code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(grpcErrorOf(problem('INTERNAL', 'boom')).code).toBe(grpc.status.INTERNAL);
  });

  it('carry non-ASCII field errors as ASCII metadata that parses back to the same text', () => {
    const errors = [{ field: 'taskTitle', messages: ['taskTitle « Überfällig » ist zu lang 🚀', 'tab\there'] }];
    const { metadata } = grpcErrorOf(problems.validation(errors));
    const [sent] = metadata.get('tasklog-field-errors') as string[];
    expect(sent).toMatch(/^[\x20-\x7e]*$/);
    expect(JSON.parse(sent!)).toEqual(errors);
  });

  it('percent-encode non-ASCII plain values, even broken UTF-16, without throwing', () => {
    expect(asciiText('plain-ascii 1')).toBe('plain-ascii 1');
    expect(decodeURIComponent(asciiText('Größe 100% ✓'))).toBe('Größe 100% ✓');
    expect(asciiText('half \ud800 pair')).toMatch(/^[\x20-\x7e]*$/);
    expect(() =>
      grpcErrorOf(problem('SERVICE.UNAVAILABLE', 'x', { commandId: 'id-é\udc00', retryAfter: 5 })),
    ).not.toThrow();
    expect(asciiJson({ a: 'ä\n' })).toBe('{"a":"\\u00e4\\n"}');
  });
});
