import { describe, expect, it } from 'vitest';
import { isIsoCountry } from './countries.js';
import { keyedHash, keyedPhoneHash } from './crypto.js';
import { canonicalPhone, countryOfPhone, InvalidPhoneError, parsePhone, readPhone } from './phone.js';

describe('readPhone: numbers people type', () => {
  it('reads every usual way of writing a German mobile number as the same E.164 number', () => {
    for (const written of ['+4915123456789', '+49 151 23456789', '+49 (0) 151 2345 6789', '0049 151 23456789', '0049151/23456789', '0151 23456789', '(0151) 234-567-89']) {
      expect(readPhone(written, 'DE'), written).toEqual({ ok: true, e164: '+4915123456789', country: 'DE' });
    }
  });

  it('reads a national number in the country given, and only there', () => {
    expect(readPhone('0664 1234567', 'AT')).toMatchObject({ ok: true, e164: '+436641234567', country: 'AT' });
    expect(readPhone('030 1234567', 'DE')).toMatchObject({ ok: true, e164: '+49301234567' });
    // An international number is read as such whatever the default country.
    expect(readPhone('+48 22 123 45 67', 'DE')).toMatchObject({ ok: true, e164: '+48221234567', country: 'PL' });
  });

  it('without a country: international numbers (+ or 00) only; a national one needs a country', () => {
    expect(readPhone('0049 151 23456789')).toMatchObject({ ok: true, e164: '+4915123456789' });
    expect(readPhone('+44 20 7183 8750')).toMatchObject({ ok: true, e164: '+442071838750', country: 'GB' });
    for (const national of ['0151 23456789', '030 1234567', '(030) 123-4567']) expect(readPhone(national), national).toEqual({ ok: false, reason: 'needs_country' });
    // A country libphonenumber-js has no numbering plan for (Antarctica) is no country to read in.
    expect(readPhone('0151 23456789', 'AQ')).toEqual({ ok: false, reason: 'needs_country' });
  });

  it('refuses what is not one valid number', () => {
    for (const bad of ['', '+', 'call me maybe', 'call +4915123456789', '+49 30', '+49 151 2345678901234', '+999 123456', 'tel:+4915123456789', '+49151\u000023456789', `+49${'1'.repeat(80)}`]) {
      expect(readPhone(bad, 'DE'), JSON.stringify(bad)).toEqual({ ok: false, reason: 'invalid' });
    }
  });

  it('parsePhone throws 400 invalid_phone naming the field and the reason', () => {
    expect(parsePhone('0151 23456789', 'DE')).toBe('+4915123456789');
    const err = (() => {
      try {
        parsePhone('0151 23456789', null, 'phone_number');
      } catch (e) {
        return e;
      }
    })() as InvalidPhoneError;
    expect(err).toBeInstanceOf(InvalidPhoneError);
    expect(err).toMatchObject({ status: 400, code: 'invalid_phone', details: { field: 'phone_number', reason: 'needs_country' } });
    expect(err.message).toMatch(/^phone_number: .*international format/);
  });
});

describe('canonicalPhone and countryOfPhone: numbers from providers', () => {
  it('keeps any number with a calling code, in E.164; caller ids that are no number give null', () => {
    expect(canonicalPhone('+4930123')).toBe('+4930123'); // short, but a carrier may know it
    expect(canonicalPhone(' +49 30 123456789')).toBe('+4930123456789');
    for (const id of ['anonymous', 'Restricted', 'client:alice', 'sip:bob@example.test', '4930123456789', '+49\u000030123']) expect(canonicalPhone(id), id).toBeNull();
  });

  it('names the country of any number, by its plan or else the main country of its calling code', () => {
    expect(countryOfPhone('+4930123456789')).toBe('DE');
    expect(countryOfPhone('+442071838750')).toBe('GB');
    expect(countryOfPhone('+447700900123')).toBe('GB'); // Ofcom's drama range: no valid number, still British
    expect(countryOfPhone('+15555550100')).toBe('US');
    expect(countryOfPhone('+12125550100')).toBe('US');
    expect(countryOfPhone('+41446681800')).toBe('CH');
    expect(countryOfPhone('+80012345678')).toBeUndefined(); // international freephone: no country
    expect(countryOfPhone('anonymous')).toBeUndefined();
  });
});

describe('the blind index of a phone number', () => {
  const key = Buffer.alloc(32, 7);

  it('is the same for every way of writing one number, once read', () => {
    const hashes = ['+4915123456789', '+49 (0) 151 23456789', parsePhone('0151 23456789', 'DE'), parsePhone('0049 151 23456789')].map((n) =>
      keyedHash(key, 'phone', n).toString('hex'),
    );
    expect(new Set(hashes).size).toBe(1);
    expect(keyedHash(key, 'phone', '+4915123456789').equals(keyedHash(key, 'phone', '+4915123456780'))).toBe(false);
  });

  it('refuses a value that is not an international number (a bug in the caller, not input)', () => {
    expect(() => keyedHash(key, 'phone', '0151 23456789')).toThrow(/parsed to E.164/);
    expect(() => keyedHash(key, 'phone', 'anonymous')).toThrow(/parsed to E.164/);
  });
});

describe('countries', () => {
  it('knows the ISO 3166-1 alpha-2 codes and nothing else', () => {
    for (const code of ['DE', 'AT', 'CH', 'PL', 'GB', 'US', 'AQ', 'AX']) expect(isIsoCountry(code), code).toBe(true);
    for (const code of ['UK', 'EU', 'XK', 'ZZ', 'de', 'DEU', '']) expect(isIsoCountry(code), code).toBe(false);
  });
});

describe('keyedPhoneHash', () => {
  it('is the blind index keyedHash gives the same number, without reading it again', () => {
    const key = Buffer.from('k'.repeat(32));
    for (const written of ['+4915123456789', '+44 7700 900123', '+1 212 555 0100']) {
      const e164 = canonicalPhone(written)!;
      expect(keyedPhoneHash(key, e164).equals(keyedHash(key, 'phone', written)), written).toBe(true);
    }
    expect(keyedPhoneHash(key, canonicalPhone('+4915123456789')!).equals(keyedHash(Buffer.from('x'.repeat(32)), 'phone', '+4915123456789'))).toBe(false);
  });
});
