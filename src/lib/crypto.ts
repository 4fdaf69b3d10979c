import { createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalPhone, type E164 } from './phone.js';

/** Compares two secrets in constant time (for equal lengths). */
export function safeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const left = Buffer.isBuffer(a) ? a : Buffer.from(a);
  const right = Buffer.isBuffer(b) ? b : Buffer.from(b);
  if (left.length !== right.length) {
    // Still spend the time of a comparison so length is all that leaks.
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

/** Normalises an e-mail address for hashing: trimmed and lower-case. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * A blind index: HMAC-SHA256 under BLIND_INDEX_KEY, so a value can be looked up
 * (and named in the audit log) without storing or revealing it.
 */
export function keyedHash(key: Buffer, kind: 'email' | 'phone' | 'ip' | 'text', value: string): Buffer {
  const normalised = kind === 'email' ? normaliseEmail(value) : kind === 'phone' ? phoneForHash(value) : value;
  return createHmac('sha256', key).update(`${kind}:${normalised}`).digest();
}

/**
 * The blind index of a number already read to E.164: the same as `keyedHash(key, 'phone', …)`
 * without reading the number a second time (the E164 type is only made by src/lib/phone.ts).
 */
export function keyedPhoneHash(key: Buffer, e164: E164): Buffer {
  return createHmac('sha256', key).update(`phone:${e164}`).digest();
}

/**
 * A phone number's blind index is always over its E.164 form (src/lib/phone.ts), so
 * the same person hashes the same whoever wrote the number and how. Callers parse
 * first (with the organisation's country); anything else here is a bug, not input.
 */
function phoneForHash(value: string): string {
  const e164 = canonicalPhone(value);
  if (!e164) throw new Error('keyedHash: a phone number must be parsed to E.164 first');
  return e164;
}

/** The network prefix of an address (IPv4 /24, IPv6 /48): enough to trace abuse, not a person. */
export function ipPrefix(ip: string | undefined): string | undefined {
  if (!ip) return undefined;
  const v4 = ip.replace(/^::ffff:/, '');
  if (/^\d+\.\d+\.\d+\.\d+$/.test(v4)) {
    return `${v4.split('.').slice(0, 3).join('.')}.0/24`;
  }
  if (ip.includes(':')) {
    const groups = ip.split('::')[0]!.split(':').filter(Boolean).slice(0, 3);
    while (groups.length < 3) groups.push('0');
    return `${groups.join(':')}::/48`;
  }
  return undefined;
}
