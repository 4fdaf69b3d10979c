/**
 * Phone numbers, read one way everywhere: every number that comes in (API bodies,
 * the forget-me page, Twilio's and ElevenLabs' webhooks) is parsed with
 * libphonenumber-js (Google's numbering-plan metadata) and kept in its E.164 form,
 * the only form the blind index (`keyedHash(…, 'phone', …)`) is computed over. So
 * `0049 151 23456789`, `+49 (0) 151 23456789` and `0151 23456789` read in Germany
 * are the same person as Twilio's `+4915123456789`.
 */
import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from 'libphonenumber-js/max';
import metadata from 'libphonenumber-js/max/metadata';
import { AppError } from './errors.js';

/** A phone number in E.164 form (`+` and up to 15 digits), as libphonenumber-js writes it. */
export type E164 = string & { readonly __e164: unique symbol };

/** Why a number a person gave cannot be used. */
export type PhoneProblem =
  /** written in national format, and there is no country to read it in */
  | 'needs_country'
  /** not a number, or not a number of any numbering plan */
  | 'invalid';

const MESSAGES: Record<PhoneProblem, string> = {
  needs_country: 'Write the phone number in international format, with its country code, e.g. +49 30 1234567.',
  invalid: 'This is not a valid phone number: check it, and write it with its country code, e.g. +49 30 1234567.',
};

/** 400 `invalid_phone`: a number that cannot be read (never a silent miss). */
export class InvalidPhoneError extends AppError {
  constructor(
    readonly reason: PhoneProblem,
    field = 'phone',
  ) {
    super(400, 'invalid_phone', `${field}: ${MESSAGES[reason]}`, { field, reason });
  }
}

export type PhoneReading = { ok: true; e164: E164; country: string | undefined } | { ok: false; reason: PhoneProblem };

// Digits and the punctuation people write numbers with: a number in national format.
const NATIONAL_LOOKING = /^[\d\s()./-]*\d[\d\s()./-]*$/;
// Longer than any real way of writing a number (libphonenumber-js itself stops at 250).
const MAX_INPUT = 64;

/** The country code libphonenumber-js can read national numbers in, if it can. */
function planOf(country: string | null | undefined): CountryCode | undefined {
  return country && isSupportedCountry(country) ? country : undefined;
}

/**
 * Reads a number a person typed: in international format (`+49 …`, or `0049 …`
 * where no country is known), or in national format (`0151 …`) in
 * `defaultCountry`. The whole input must be one valid number of a numbering plan.
 */
export function readPhone(input: string, defaultCountry?: string | null): PhoneReading {
  // eslint-disable-next-line no-control-regex
  if (input.length > MAX_INPUT || /[\u0000-\u001f\u007f]/.test(input)) return { ok: false, reason: 'invalid' };
  let text = input.trim();
  const plan = planOf(defaultCountry);
  if (!plan) {
    // 00 is the international prefix nearly everywhere (ITU-T E.164 recommends it), and no
    // national number starts with it: without a country to ask, it can only mean "+".
    text = text.replace(/^00\s*(?=[1-9])/, '+');
    if (!text.startsWith('+')) return { ok: false, reason: NATIONAL_LOOKING.test(text) ? 'needs_country' : 'invalid' };
  }
  let parsed: PhoneNumber | undefined;
  try {
    parsed = parsePhoneNumberFromString(text, { defaultCountry: plan, extract: false });
  } catch {
    parsed = undefined;
  }
  if (!parsed || !parsed.isValid()) return { ok: false, reason: 'invalid' };
  return { ok: true, e164: parsed.number as E164, country: parsed.country };
}

/** `readPhone`, or 400 `invalid_phone` naming `field`. */
export function parsePhone(input: string, defaultCountry?: string | null, field = 'phone'): E164 {
  const reading = readPhone(input, defaultCountry);
  if (!reading.ok) throw new InvalidPhoneError(reading.reason, field);
  return reading.e164;
}

/**
 * A number as a telephony provider reports it (Twilio's `From`, `To`): its E.164
 * form when it is an international number, else null (caller ids such as
 * `anonymous` or `client:alice` are not numbers). Carriers know numbers before
 * the metadata does, so this checks the country calling code, not the plan.
 */
export function canonicalPhone(input: string): E164 | null {
  // eslint-disable-next-line no-control-regex
  if (input.length > MAX_INPUT || /[\u0000-\u001f\u007f]/.test(input)) return null;
  const text = input.trim();
  if (!text.startsWith('+')) return null;
  try {
    const parsed = parsePhoneNumberFromString(text, { extract: false });
    return parsed ? (parsed.number as E164) : null;
  } catch {
    return null;
  }
}

/**
 * The country an international number belongs to (ISO 3166 alpha-2): the one its
 * numbering plan names, else the main country of its calling code (+44 7700 900123
 * → GB, +1 555 … → US). Undefined when it is not an international number.
 */
export function countryOfPhone(input: string): string | undefined {
  const e164 = canonicalPhone(input);
  if (!e164) return undefined;
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed) return undefined;
  if (parsed.country) return parsed.country;
  // The first country listed for a calling code is its main country (libphonenumber's metadata).
  const countries = metadata.country_calling_codes[parsed.countryCallingCode] as string[] | undefined;
  return countries?.[0];
}
