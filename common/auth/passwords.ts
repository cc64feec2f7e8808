// Password hashing with bcrypt (@node-rs/bcrypt, native, off the event loop).
import { hash, verify } from '@node-rs/bcrypt';

export interface Passwords {
  hash(password: string): Promise<string>;
  verify(password: string, passwordHash: string): Promise<boolean>;
  /**
   * Spends the time of a real verification against a hash nobody has: a login for an
   * unknown email takes as long as one with a wrong password, so timing tells nothing.
   */
  verifyNobody(password: string): Promise<false>;
}

export async function createPasswords(cost: number): Promise<Passwords> {
  const decoy = await hash('decoy-password-nobody-has', { cost });
  return {
    hash: (password) => hash(password, { cost }),
    verify: (password, passwordHash) => verify(password, passwordHash).catch(() => false),
    verifyNobody: async (password) => {
      await verify(password, decoy).catch(() => false);
      return false;
    },
  };
}

/** Emails are stored and compared trimmed and lower-cased. */
export const normaliseEmail = (email: string) => email.trim().toLowerCase();
