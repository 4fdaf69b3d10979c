import { countryOfPhone } from '../lib/phone.js';

/**
 * Countries whose callers are asked for keypad consent before anything is
 * recorded under `consent_scope = listed_countries` (the default). With
 * `all_callers` everyone is asked.
 */
export const LISTED_CONSENT_COUNTRIES: ReadonlySet<string> = new Set(['DE', 'AT', 'CH', 'PL']);

/**
 * The catalogue language a caller from a country is asked in: the country's
 * main language where the catalogue has it. Countries with several languages
 * of equal standing (BE, LU, …) and countries without a catalogue language
 * are left out on purpose: their callers are asked in the agent's language,
 * which is the language the organisation chose to serve them in.
 */
export const COUNTRY_LANGUAGES: Readonly<Record<string, string>> = Object.freeze({
  DE: 'de', AT: 'de', CH: 'de', LI: 'de',
  PL: 'pl',
  FR: 'fr', MC: 'fr',
  ES: 'es',
  IT: 'it', SM: 'it', VA: 'it',
  NL: 'nl',
  PT: 'pt',
  BR: 'pt-br',
  SE: 'sv',
  DK: 'da',
  FI: 'fi',
  CZ: 'cs',
  GB: 'en', IE: 'en', US: 'en', CA: 'en', AU: 'en', NZ: 'en', MT: 'en',
  // +44 numbers of the Crown Dependencies read as their own countries (+44 7911… is Guernsey).
  GG: 'en', JE: 'en', IM: 'en',
});

/** The language a caller from `country` is prompted in, if their country decides it. */
export function countryLanguage(country: string | null | undefined): string | undefined {
  return country && Object.hasOwn(COUNTRY_LANGUAGES, country) ? COUNTRY_LANGUAGES[country] : undefined;
}

/**
 * The caller's country: Twilio's FromCountry when it sent one (two letters),
 * else the country of the number From (libphonenumber-js: its numbering plan, or
 * the main country of its calling code), whatever the country.
 */
export function callerCountry(fromCountry: string | undefined, from: string | undefined): string | undefined {
  if (fromCountry && /^[A-Za-z]{2}$/.test(fromCountry)) return fromCountry.toUpperCase();
  return from ? countryOfPhone(from) : undefined;
}
