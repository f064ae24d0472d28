import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { calculateJwkThumbprint, exportJWK, importJWK, importPKCS8, importSPKI, type CryptoKey, type JWK } from 'jose';

export const JWT_ALGORITHM = 'RS256';

export interface VerificationKey {
  readonly kid: string;
  readonly key: CryptoKey;
}

/**
 * Loads the public keys tokens may be signed with. Each file is an SPKI PEM
 * (its kid is the key's RFC 7638 thumbprint, so issuer and verifier agree
 * without sharing anything but the key) or a JWKS JSON document (its `kid`s,
 * or thumbprints where absent). Several files = key rotation: the old and the
 * new key are both accepted until the old one is removed.
 */
export async function loadVerificationKeys(paths: readonly string[]): Promise<VerificationKey[]> {
  const keys = (await Promise.all(paths.map(loadKeyFile))).flat();
  if (keys.length === 0) throw new Error('no JWT verification key configured (JWT_PUBLIC_KEY_PATH)');
  return keys;
}

async function loadKeyFile(path: string): Promise<VerificationKey[]> {
  const text = await readFile(resolve(path), 'utf8').catch((error: unknown) => {
    throw new Error(`cannot read JWT public key ${path} (run \`node scripts/dev-keys.mjs\` for development keys)`, {
      cause: error,
    });
  });
  if (text.trimStart().startsWith('{')) {
    const jwks = JSON.parse(text) as { keys?: JWK[] };
    return Promise.all(
      (jwks.keys ?? []).map(async (jwk) => ({
        kid: jwk.kid ?? (await thumbprint(jwk)),
        key: (await importJWK(jwk, JWT_ALGORITHM)) as CryptoKey,
      })),
    );
  }
  const key = await importSPKI(text, JWT_ALGORITHM, { extractable: true });
  return [{ kid: await thumbprint(await exportJWK(key)), key }];
}

/** The private key of the development token issuer, with the kid of its public half. */
export async function loadSigningKey(path: string): Promise<VerificationKey> {
  const text = await readFile(resolve(path), 'utf8').catch((error: unknown) => {
    throw new Error(`cannot read JWT private key ${path} (run \`node scripts/dev-keys.mjs\`)`, { cause: error });
  });
  const key = await importPKCS8(text, JWT_ALGORITHM, { extractable: true });
  const { n, e, kty } = await exportJWK(key);
  return { kid: await thumbprint({ n, e, kty } as JWK), key };
}

async function thumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(jwk, 'sha256');
}
