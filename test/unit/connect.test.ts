// Connection URLs as the logs show them (platform/connect.ts): never with a password.
import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../platform/connect.js';

describe('redactUrl', () => {
  it.each([
    ['postgres://drop:secret@db:5432/drop', 'postgres://drop:***@db:5432/drop'],
    ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
    ['not a url', '[unparseable url]'],
  ])('%s is logged as %s', (url, logged) => {
    expect(redactUrl(url)).toBe(logged);
  });
});
