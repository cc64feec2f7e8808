// Access tokens with an EdDSA key pair instead of the HS256 secret.
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAccessTokens } from '../../core/auth/access-tokens.js';
import { ConfigError, loadConfig } from '../../platform/config.js';

describe('access tokens with a key pair', () => {
  it('signs and verifies with EdDSA and refuses HS256 tokens', async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
    const config = loadConfig(
      {
        JWT_ALGORITHM: 'EdDSA',
        JWT_PRIVATE_KEY: await exportPKCS8(privateKey),
        JWT_PUBLIC_KEY: await exportSPKI(publicKey),
      },
      '/nonexistent.yml',
    );
    const eddsa = await createAccessTokens(config);
    const hs256 = await createAccessTokens(loadConfig({}, '/nonexistent.yml'));
    const principal = { userId: '0b7e1c2a-6f53-4d0e-9a41-2b1f0f6f3a10', role: 'admin' as const };

    const token = await eddsa.sign(principal);
    expect(
      JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()),
    ).toMatchObject({
      alg: 'EdDSA',
    });
    expect(await eddsa.verify(token)).toEqual(principal);
    expect(await eddsa.verify(await hs256.sign(principal))).toBeNull();
    expect(await hs256.verify(token)).toBeNull();
  });

  it('needs both PEM keys when the algorithm is not HS256', () => {
    expect(() => loadConfig({ JWT_ALGORITHM: 'RS256' }, '/nonexistent.yml')).toThrow(ConfigError);
  });
});
