import { createHmac, timingSafeEqual } from 'node:crypto';

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

/** Normalises a phone number to E.164 digits with a leading +. */
export function normalisePhone(phone: string): string {
  const digits = phone.replace(/[^\d+]/g, '');
  return digits.startsWith('+') ? `+${digits.slice(1).replace(/\+/g, '')}` : `+${digits}`;
}

/**
 * A blind index: HMAC-SHA256 under BLIND_INDEX_KEY, so a value can be looked up
 * (and named in the audit log) without storing or revealing it.
 */
export function keyedHash(key: Buffer, kind: 'email' | 'phone' | 'ip' | 'text', value: string): Buffer {
  const normalised = kind === 'email' ? normaliseEmail(value) : kind === 'phone' ? normalisePhone(value) : value;
  return createHmac('sha256', key).update(`${kind}:${normalised}`).digest();
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
