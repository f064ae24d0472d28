import { parseArgs } from 'node:util';
import { authSection, issueToken, isScope, parseTtl, type Scope } from '@tasklog/platform/http';
import { print, type CliCommand } from './cli-command.js';

/** `tasklog auth token --sub <user> [--scope a,b] [--ttl 1h] [--kid k]`: a development bearer token. */
export const authTokenCommand: CliCommand = {
  name: 'auth token',
  summary: 'sign a development JWT: --sub <user> [--scope tasks:read,tasks:write] [--ttl 1h] [--kid k]',
  async run(args, env) {
    const { values } = parseArgs({
      args,
      options: {
        sub: { type: 'string' },
        scope: { type: 'string', default: 'tasks:read,tasks:write' },
        ttl: { type: 'string', default: '1h' },
        kid: { type: 'string' },
      },
    });
    if (!values.sub) throw new Error('--sub <user id> is required');
    const token = await issueToken(authSection(env), {
      sub: values.sub,
      scopes: parseScopes(values.scope),
      ttlSeconds: parseTtl(values.ttl),
      ...(values.kid ? { kid: values.kid } : {}),
    });
    print(token);
    return 0;
  },
};

export function parseScopes(text: string): Scope[] {
  const scopes = text.split(/[ ,]+/).filter(Boolean);
  const unknown = scopes.filter((s) => !isScope(s));
  if (unknown.length > 0) throw new Error(`unknown scope(s): ${unknown.join(', ')}`);
  return scopes as Scope[];
}
