import { describe, expect, it } from '@jest/globals';
import { peerAddress } from '../src/grpc/grpc-auth.js';

describe('gRPC peer addresses', () => {
  it('are spelled as Fastify spells request.ip, so both transports count one address together', () => {
    // grpc-js 1.x: <address>:<port>
    expect(peerAddress('127.0.0.1:50123')).toBe('127.0.0.1');
    expect(peerAddress('::1:50123')).toBe('::1');
    expect(peerAddress('2001:db8::7:443')).toBe('2001:db8::7');
    // the scheme forms
    expect(peerAddress('ipv4:127.0.0.1:50123')).toBe('127.0.0.1');
    expect(peerAddress('ipv6:[::1]:50123')).toBe('::1');
    expect(peerAddress('ipv6:[2001:db8::7]:443')).toBe('2001:db8::7');
    expect(peerAddress('ipv4:203.0.113.9')).toBe('203.0.113.9');
  });

  it('keep what they cannot parse whole (a Unix socket peer is still one address)', () => {
    expect(peerAddress('unix:/tmp/grpc.sock')).toBe('unix:/tmp/grpc.sock');
    expect(peerAddress('unknown')).toBe('unknown');
  });
});
