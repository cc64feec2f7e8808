// Access token verification on the hot path. Baseline: jose with the raw secret bytes,
// which imports the key again on every call. Then the key imported once (a CryptoKey),
// then the engine's AccessTokens.verify (key once + cache of verified tokens).
import { jwtVerify } from 'jose';
import { bench, describe } from 'vitest';
import { createAccessTokens } from '../core/auth/access-tokens.js';
import { loadConfig } from '../platform/config.js';

const config = loadConfig({ NODE_ENV: 'test' }, '/nonexistent.yml');
const tokens = await createAccessTokens(config);
const token = await tokens.sign({ userId: '0b7e1c2a-6f53-4d0e-9a41-2b1f0f6f3a10', role: 'user' });
const secretBytes = new TextEncoder().encode(config.JWT_SECRET);
const cryptoKey = await crypto.subtle.importKey(
  'raw',
  secretBytes,
  { name: 'HMAC', hash: 'SHA-256' },
  false,
  ['verify'],
);
const options = {
  algorithms: ['HS256'],
  issuer: config.JWT_ISSUER,
  audience: config.JWT_AUDIENCE,
};

describe('verify one access token (HS256)', () => {
  bench('baseline: jwtVerify with raw secret bytes', async () => {
    await jwtVerify(token, secretBytes, options);
  });
  bench('jwtVerify with a CryptoKey imported once', async () => {
    await jwtVerify(token, cryptoKey, options);
  });
  bench('engine: AccessTokens.verify (key once + verified cache)', async () => {
    await tokens.verify(token);
  });
});
