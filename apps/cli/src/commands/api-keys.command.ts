import { parseArgs } from 'node:util';
import { postgresSection, type EnvSource } from '@tasklog/platform/config';
import { ApiKeyStore, type ApiKeyView } from '@tasklog/platform/http';
import { createLogger } from '@tasklog/platform/observability';
import { createOrm, migrate } from '@tasklog/platform/postgres';
import { parseScopes } from './auth-token.command.js';
import { print, type CliCommand } from './cli-command.js';

// The same store, table and configuration as the API's admin endpoints.
async function withStore<T>(env: EnvSource, work: (store: ApiKeyStore) => Promise<T>): Promise<T> {
  const config = postgresSection(env);
  const logger = createLogger('cli', 'warn');
  const orm = await createOrm(config, logger);
  try {
    await migrate(orm, config.schema);
    return await work(new ApiKeyStore(orm, logger));
  } finally {
    await orm.close(true);
  }
}

const describe = (key: ApiKeyView) =>
  `${key.id}  ${key.userId}  ${key.scopes.join(',')}  ${key.name ?? '-'}  created ${key.createdAt}` +
  (key.revokedAt ? `  REVOKED ${key.revokedAt}` : '') +
  (key.lastUsedAt ? `  last used ${key.lastUsedAt}` : '');

export const apiKeysCreateCommand: CliCommand = {
  name: 'api-keys create',
  summary: 'create an API key: --user <id> --scopes tasks:read,tasks:write [--name label] (the key is shown once)',
  async run(args, env) {
    const { values } = parseArgs({
      args,
      options: { user: { type: 'string' }, scopes: { type: 'string' }, name: { type: 'string' } },
    });
    if (!values.user || !values.scopes) throw new Error('--user <id> and --scopes <a,b> are required');
    const created = await withStore(env, (store) =>
      store.create({ userId: values.user!, scopes: parseScopes(values.scopes!), name: values.name }),
    );
    print(describe(created));
    print(`key (shown once, store it now): ${created.key}`);
    return 0;
  },
};

export const apiKeysListCommand: CliCommand = {
  name: 'api-keys list',
  summary: 'list API keys (never their secrets): [--user <id>]',
  async run(args, env) {
    const { values } = parseArgs({ args, options: { user: { type: 'string' } } });
    const keys = await withStore(env, (store) => store.list({ userId: values.user }));
    for (const key of keys) print(describe(key));
    if (keys.length === 0) print('no API keys');
    return 0;
  },
};

export const apiKeysRevokeCommand: CliCommand = {
  name: 'api-keys revoke',
  summary: 'revoke an API key: <id>',
  async run(args, env) {
    const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
    if (positionals.length !== 1) throw new Error('usage: tasklog api-keys revoke <id>');
    const revoked = await withStore(env, (store) => store.revoke(positionals[0]!));
    if (!revoked) {
      print(`no API key ${positionals[0]}`);
      return 1;
    }
    print(describe(revoked));
    return 0;
  },
};
