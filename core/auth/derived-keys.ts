// Keys derived from the engine's signing secret (the HS256 secret, or the private key when
// tokens are signed with a key pair): every process of one engine derives the same ones,
// and no new secret has to be configured. Each use has a label of its own, which keeps its
// key apart from the access tokens' and from every other use.
import { createHash } from 'node:crypto';

export interface SigningSecretConfig {
  JWT_SECRET: string;
  JWT_PRIVATE_KEY?: string | undefined;
}

export function derivedKey(label: string, config: SigningSecretConfig): Buffer {
  return createHash('sha256')
    .update(`${label}\n`)
    .update(config.JWT_PRIVATE_KEY ?? config.JWT_SECRET)
    .digest();
}
