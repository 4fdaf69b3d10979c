import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { signedTokens } from './signed-token.js';

const payload = z.strictObject({ id: z.string(), exp: z.number().int() });
const a = signedTokens({ version: 'x1', purpose: 'purpose-a', payload });
const b = signedTokens({ version: 'x1', purpose: 'purpose-b', payload });
const SECRET = 'k'.repeat(32);

describe('signed link tokens', () => {
  it('verifies what it signed, until it expires', () => {
    const token = a.sign(SECRET, { id: 'n1', exp: 1000 });
    expect(a.verify(SECRET, token, 999)).toEqual({ ok: true, payload: { id: 'n1', exp: 1000 } });
    expect(a.verify(SECRET, token, 1000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses another purpose, another key, a changed payload and bad forms', () => {
    const token = a.sign(SECRET, { id: 'n1', exp: 1000 });
    expect(b.verify(SECRET, token, 0)).toEqual({ ok: false, reason: 'invalid' });
    expect(a.verify('other'.repeat(8), token, 0)).toEqual({ ok: false, reason: 'invalid' });
    const [v, , sig] = token.split('.');
    const forged = `${v}.${Buffer.from(JSON.stringify({ id: 'n2', exp: 1000 })).toString('base64url')}.${sig}`;
    expect(a.verify(SECRET, forged, 0)).toEqual({ ok: false, reason: 'invalid' });
    for (const bad of ['', 'x1', 'x1..', `y1.${token.slice(3)}`, `${token}.x`, token.replace(/.$/, '*')]) {
      expect(a.verify(SECRET, bad, 0), bad).toEqual({ ok: false, reason: 'invalid' });
    }
  });

  it('refuses a correctly signed payload that is off its schema', () => {
    const loose = signedTokens({ version: 'x1', purpose: 'purpose-a', payload: z.looseObject({ exp: z.number() }) });
    const token = loose.sign(SECRET, { exp: 1000, extra: true } as { exp: number });
    expect(a.verify(SECRET, token, 0)).toEqual({ ok: false, reason: 'invalid' });
  });
});
