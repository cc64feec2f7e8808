// Passwords of any length up to the schema's bound (issue 31): those over bcrypt's 72 bytes
// are hashed first, the others go to bcrypt as they always did, so older hashes verify.
import { hash } from '@node-rs/bcrypt';
import { describe, expect, it } from 'vitest';
import { bcryptInput, createPasswords } from '../../core/auth/passwords.js';

describe('passwords', () => {
  it('give bcrypt a password of up to 72 bytes as it is, a longer one hashed', () => {
    const short = 'é'.repeat(36); // 72 bytes
    expect(bcryptInput(short)).toBe(short);
    const long = `${short}x`;
    expect(bcryptInput(long)).not.toBe(long);
    expect(Buffer.byteLength(bcryptInput(long))).toBeLessThanOrEqual(72);
  });

  it('verify a hash made before long passwords were taken', async () => {
    const passwords = await createPasswords(4);
    const password = 'correct horse battery staple';
    const older = await hash(password, { cost: 4 });
    expect(await passwords.verify(password, older)).toBe(true);
  });

  it('tell apart long passwords that share their first 72 bytes', async () => {
    const passwords = await createPasswords(4);
    const prefix = 'p'.repeat(72);
    const stored = await passwords.hash(`${prefix}-one`);
    expect(await passwords.verify(`${prefix}-one`, stored)).toBe(true);
    expect(await passwords.verify(`${prefix}-two`, stored)).toBe(false);
    expect(await passwords.verify(prefix, stored)).toBe(false);
  });
});
