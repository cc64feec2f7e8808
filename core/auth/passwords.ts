// Password hashing with bcrypt (@node-rs/bcrypt, native, off the event loop). Every hash
// and verification takes a turn from one small in-process limiter: a burst of logins
// queues behind a few bcrypt runs instead of filling the libuv pool (and starving every
// other request that needs a thread), and past a bounded queue it is refused at once.
import { createHmac } from 'node:crypto';
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

export interface PasswordLimits {
  /** bcrypt runs at once. */
  concurrency: number;
  /** Runs waiting for a turn before new ones are refused with PasswordWorkBusy. */
  maxQueue: number;
}

/** Too many bcrypt runs waiting already: the caller answers 503 overloaded. */
export class PasswordWorkBusy extends Error {
  constructor() {
    super('too many password checks waiting');
    this.name = 'PasswordWorkBusy';
  }
}

/** At most `concurrency` tasks at once, at most `maxQueue` waiting, first come first served. */
export function createWorkLimiter({ concurrency, maxQueue }: PasswordLimits) {
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running -= 1;
  };
  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (running < concurrency) running += 1;
      else if (waiting.length >= maxQueue) throw new PasswordWorkBusy();
      // The finishing task hands its slot over: `running` stays as it is.
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await task();
      } finally {
        release();
      }
    },
    get running() {
      return running;
    },
    get waiting() {
      return waiting.length;
    },
  };
}

/** What bcrypt reads of its input: the rest would be silently cut. */
const BCRYPT_BYTES = 72;

/**
 * What bcrypt is given for a password. Up to 72 bytes, the password itself (every account
 * made before longer ones were taken, so their hashes still verify); a longer one is first
 * hashed to 44 base64 characters, so every byte of it counts. Hashing and verifying both
 * go through here: the two cannot disagree.
 */
export function bcryptInput(password: string): string {
  if (Buffer.byteLength(password) <= BCRYPT_BYTES) return password;
  return createHmac('sha256', 'drop-engine/password-prehash/v1').update(password).digest('base64');
}

export async function createPasswords(
  cost: number,
  limits: PasswordLimits = { concurrency: 2, maxQueue: 64 },
): Promise<Passwords> {
  const decoy = await hash('decoy-password-nobody-has', { cost });
  const limiter = createWorkLimiter(limits);
  const check = (password: string, passwordHash: string) =>
    limiter.run(() => verify(bcryptInput(password), passwordHash).catch(() => false));
  return {
    hash: (password) => limiter.run(() => hash(bcryptInput(password), { cost })),
    verify: check,
    verifyNobody: async (password) => {
      await check(password, decoy);
      return false;
    },
  };
}

/** Emails are stored and compared trimmed and lower-cased. */
export const normaliseEmail = (email: string) => email.trim().toLowerCase();
