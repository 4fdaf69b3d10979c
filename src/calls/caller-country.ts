import { countryOfPhone } from '../lib/phone.js';

/** Countries whose callers are asked for keypad consent before anything is recorded, and the prompt language. */
export const CONSENT_COUNTRIES: Readonly<Record<string, 'de' | 'pl'>> = { DE: 'de', AT: 'de', CH: 'de', PL: 'pl' };

/**
 * The caller's country: Twilio's FromCountry when it sent one (two letters),
 * else the country of the number From (libphonenumber-js: its numbering plan, or
 * the main country of its calling code), whatever the country.
 */
export function callerCountry(fromCountry: string | undefined, from: string | undefined): string | undefined {
  if (fromCountry && /^[A-Za-z]{2}$/.test(fromCountry)) return fromCountry.toUpperCase();
  return from ? countryOfPhone(from) : undefined;
}
