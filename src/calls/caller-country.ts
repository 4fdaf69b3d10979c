/** Countries whose callers are asked for keypad consent before anything is recorded, and the prompt language. */
export const CONSENT_COUNTRIES: Readonly<Record<string, 'de' | 'pl'>> = { DE: 'de', AT: 'de', CH: 'de', PL: 'pl' };

const PREFIXES: [string, string][] = [
  ['+49', 'DE'],
  ['+43', 'AT'],
  ['+41', 'CH'],
  ['+48', 'PL'],
];

/**
 * The caller's country: Twilio's FromCountry when it sent one (two letters),
 * else the E.164 prefix of From for the countries whose law we apply.
 */
export function callerCountry(fromCountry: string | undefined, from: string | undefined): string | undefined {
  if (fromCountry && /^[A-Za-z]{2}$/.test(fromCountry)) return fromCountry.toUpperCase();
  if (from) {
    const normalised = from.replace(/[\s()-]/g, '');
    for (const [prefix, country] of PREFIXES) if (normalised.startsWith(prefix)) return country;
  }
  return undefined;
}
