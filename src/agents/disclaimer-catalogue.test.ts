import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  SUPPORTED_LANGUAGES,
  buildUnrecordedFirstMessage,
  checkFirstMessage,
  consentPrompt,
  disclaimerFor,
  type Disclaimer,
} from './disclaimer-catalogue.js';

const REQUIRED = ['en', 'de', 'fr', 'es', 'it', 'nl', 'pl', 'pt', 'sv', 'da', 'fi', 'cs'];

// A brand name stands in for the rest of a greeting: it is the same in every language.
const TAIL = 'Acme Dental.';

const LANGS = SUPPORTED_LANGUAGES.map((lang) => [lang, disclaimerFor(lang)!] as const);

function greeting(d: Disclaimer, tail = TAIL): string {
  return `${d.ai_disclosure} ${d.recording_notice} ${tail}`;
}

function stripFinal(sentence: string): string {
  return sentence.replace(/[.!?]$/u, '');
}

/** Replaces each space with a different odd white space: tab, NBSP, newline, several spaces, thin space. */
function oddSpacing(s: string): string {
  const spaces = ['\t', '\u00A0', '\n', '   ', '\u2009', '\r\n \u00A0'];
  let k = 0;
  return `\n ${s.replace(/ /g, () => spaces[k++ % spaces.length]!)} \t`;
}

/** Splits a sentence by SSML: a break between every word, emphasis around the second word. */
function ssmlSplit(sentence: string): string {
  const words = sentence.split(' ');
  return words
    .map((w, i) => (i === 1 ? `<emphasis level="strong">${w}</emphasis>` : w))
    .join(' <break time="200ms"/> ');
}

function slug(sentence: string, sep: string): string {
  return stripFinal(sentence).replace(/'/g, '').replace(/ /g, sep);
}

describe('catalogue', () => {
  it('covers at least the required languages, each with three non-empty sentences', () => {
    for (const lang of REQUIRED) expect(SUPPORTED_LANGUAGES).toContain(lang);
    for (const [, d] of LANGS) {
      expect(d.ai_disclosure.length).toBeGreaterThan(5);
      expect(d.recording_notice.length).toBeGreaterThan(5);
      expect(d.not_recorded_notice.length).toBeGreaterThan(5);
    }
  });

  it('resolves region tags and is case-insensitive', () => {
    expect(disclaimerFor('de-AT')).toBe(disclaimerFor('de'));
    expect(disclaimerFor('DE_ch')).toBe(disclaimerFor('de'));
    expect(disclaimerFor('pt-PT')).toBe(disclaimerFor('pt'));
    expect(disclaimerFor('pt-BR')).toBe(disclaimerFor('pt-br'));
    expect(disclaimerFor('pt-BR')).not.toBe(disclaimerFor('pt'));
    expect(disclaimerFor('xx')).toBeUndefined();
    expect(disclaimerFor('')).toBeUndefined();
  });

  it('returns frozen entries', () => {
    expect(Object.isFrozen(disclaimerFor('en'))).toBe(true);
    expect(Object.isFrozen(SUPPORTED_LANGUAGES)).toBe(true);
  });
});

describe('consentPrompt', () => {
  it.each(SUPPORTED_LANGUAGES)('%s: text, version and SHA-256 hash of the exact text', (lang) => {
    const p = consentPrompt(lang);
    expect(p.version).toMatch(new RegExp(`^${lang}-\\d{4}-\\d{2}-\\d{2}$`));
    expect(p.hash).toBe(createHash('sha256').update(p.text, 'utf8').digest('hex'));
    // Both keys are named as digits, so TTS says the number the caller must press.
    expect(p.text).toMatch(/(^|\D)1(\D|$)/);
    expect(p.text).toMatch(/(^|\D)2(\D|$)/);
    expect(p.text.indexOf('1')).toBeLessThan(p.text.indexOf('2'));
    expect(Object.isFrozen(p)).toBe(true);
    expect(consentPrompt(lang)).toBe(p);
  });

  it('has one prompt per catalogue language, each with its own text, version and hash', () => {
    const prompts = SUPPORTED_LANGUAGES.map((lang) => consentPrompt(lang));
    expect(new Set(prompts.map((p) => p.text)).size).toBe(SUPPORTED_LANGUAGES.length);
    expect(new Set(prompts.map((p) => p.version)).size).toBe(SUPPORTED_LANGUAGES.length);
    expect(new Set(prompts.map((p) => p.hash)).size).toBe(SUPPORTED_LANGUAGES.length);
  });

  it('keeps the German and Polish prompts (and their versions) that consent records already cite', () => {
    expect(consentPrompt('de')).toMatchObject({
      text:
        'Dieses Gespräch mit einem KI-Assistenten kann zur Qualitätssicherung aufgezeichnet werden. ' +
        'Drücken Sie die 1, wenn Sie der Aufzeichnung zustimmen, oder die 2, wenn Sie nicht zustimmen.',
      version: 'de-2026-11-01',
      hash: 'b6f56cee773084997f30a775318b96faf06f3acbfb6572a052d8d57db96b7fb4',
    });
    expect(consentPrompt('pl')).toMatchObject({
      text:
        'Ta rozmowa z asystentem AI może być nagrywana w celu zapewnienia jakości obsługi. ' +
        'Aby wyrazić zgodę na nagrywanie, prosimy nacisnąć 1. Aby odmówić, prosimy nacisnąć 2.',
      version: 'pl-2026-11-01',
      hash: '50326ee9f0b81a39aa2e5124d386b9d034241b5ea94d01f30a17665a4615391d',
    });
  });

  it('has the agreed English wording, dated from when it took effect', () => {
    expect(consentPrompt('en')).toMatchObject({
      text:
        'This call with an AI assistant may be recorded for quality assurance. Nothing is recorded without your consent. ' +
        'Press 1 if you agree to the recording, or 2 if you do not.',
      version: 'en-2026-12-01',
    });
  });

  it('resolves region tags like the catalogue', () => {
    expect(consentPrompt('de-AT')).toBe(consentPrompt('de'));
    expect(consentPrompt('pt-BR')).toBe(consentPrompt('pt-br'));
    expect(consentPrompt('pt-BR')).not.toBe(consentPrompt('pt'));
  });

  it('refuses languages without a catalogue entry at run time', () => {
    expect(() => consentPrompt('xx')).toThrow(RangeError);
    expect(() => consentPrompt('')).toThrow(RangeError);
  });
});

describe('disclosure versions', () => {
  it('gives every language a version of its wording, distinct per language', () => {
    for (const [lang, d] of LANGS) expect(d.version).toMatch(new RegExp(`^${lang}-\\d{4}-\\d{2}-\\d{2}$`));
    expect(new Set(LANGS.map(([, d]) => d.version)).size).toBe(LANGS.length);
  });
});

describe.each(LANGS)('checkFirstMessage (%s)', (lang, d) => {
  it('accepts a greeting with both sentences', () => {
    expect(checkFirstMessage(lang, greeting(d))).toEqual({ ok: true });
    expect(checkFirstMessage(lang, `Acme. ${d.recording_notice} ${d.ai_disclosure}`)).toEqual({ ok: true });
  });

  it('refuses a greeting without the AI sentence, naming ai_disclosure and quoting it', () => {
    const r = checkFirstMessage(lang, `${d.recording_notice} ${TAIL}`);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.missing).toEqual(['ai_disclosure']);
    expect(r.forbidden).toEqual([]);
    expect(r.message).toContain(d.ai_disclosure);
    expect(r.message).toContain('AI disclosure');
  });

  it('refuses a greeting without the recording sentence, naming recording_notice', () => {
    const r = checkFirstMessage(lang, `${d.ai_disclosure} ${TAIL}`);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.missing).toEqual(['recording_notice']);
    expect(r.message).toContain(d.recording_notice);
  });

  it('refuses an empty message naming both', () => {
    const r = checkFirstMessage(lang, '');
    expect(r.ok === false && r.missing).toEqual(['ai_disclosure', 'recording_notice']);
  });

  it('accepts different case', () => {
    expect(checkFirstMessage(lang, greeting(d).toUpperCase())).toEqual({ ok: true });
    expect(checkFirstMessage(lang, greeting(d).toLowerCase())).toEqual({ ok: true });
  });

  it('accepts odd white space (tabs, NBSP, newlines, runs)', () => {
    expect(checkFirstMessage(lang, oddSpacing(greeting(d)))).toEqual({ ok: true });
  });

  it('accepts NFD-decomposed accents (and an NFKC full-width variant)', () => {
    expect(checkFirstMessage(lang, greeting(d).normalize('NFD'))).toEqual({ ok: true });
    const fullWidthFirst = greeting(d).replace(/^[A-Za-z]/, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
    expect(checkFirstMessage(lang, fullWidthFirst)).toEqual({ ok: true });
  });

  it('accepts changed punctuation', () => {
    const changed = (s: string) => `«${stripFinal(s).replace(/-/g, '\u2010').replace(/'/g, '\u2019')}…!»`;
    expect(checkFirstMessage(lang, `${changed(d.ai_disclosure)} ${changed(d.recording_notice)}`)).toEqual({ ok: true });
  });

  it('accepts removed punctuation (inner hyphens and apostrophes as spaces)', () => {
    const removed = (s: string) => stripFinal(s).replace(/[-']/g, ' ');
    expect(checkFirstMessage(lang, `${removed(d.ai_disclosure)} ${removed(d.recording_notice)}`)).toEqual({ ok: true });
  });

  it('accepts sentences split by SSML markup', () => {
    const msg = `<speak><p>${ssmlSplit(d.ai_disclosure)}</p> <s>${ssmlSplit(d.recording_notice)}</s> ${TAIL}</speak>`;
    expect(checkFirstMessage(lang, msg)).toEqual({ ok: true });
  });

  it('accepts zero-width characters and soft hyphens inside words (not heard)', () => {
    const hide = (s: string) => s.replace(/(\p{L})(\p{L})/gu, '$1\u200B$2').replace(/(\p{L}{3})(\p{L})/u, '$1\u00AD$2');
    expect(checkFirstMessage(lang, `${hide(d.ai_disclosure)} ${hide(d.recording_notice)}`)).toEqual({ ok: true });
  });

  it('accepts character references for spaces and letters', () => {
    const msg = `${d.ai_disclosure.replace(/ /g, '&nbsp;')} ${d.recording_notice.replace(/ /, '&#x20;')}`;
    expect(checkFirstMessage(lang, msg)).toEqual({ ok: true });
  });

  it('refuses a sentence hidden in a URL', () => {
    const inHttps = `${d.recording_notice} See https://example.com/${slug(d.ai_disclosure, '-')} for details.`;
    expect(checkFirstMessage(lang, inHttps)).toMatchObject({ ok: false, missing: ['ai_disclosure'] });
    const inWww = `${d.ai_disclosure} www.example.com/${slug(d.recording_notice, '_')}`;
    expect(checkFirstMessage(lang, inWww)).toMatchObject({ ok: false, missing: ['recording_notice'] });
    const inHost = `${d.ai_disclosure} example.com/${slug(d.recording_notice, '-')}`;
    expect(checkFirstMessage(lang, inHost)).toMatchObject({ ok: false, missing: ['recording_notice'] });
  });

  it('refuses a sentence hidden in a tag attribute', () => {
    const msg = `<audio src="https://x.test/a.mp3" alt="${d.ai_disclosure}"/> <break data-x="${d.ai_disclosure}"/> ${d.recording_notice}`;
    expect(checkFirstMessage(lang, msg)).toMatchObject({ ok: false, missing: ['ai_disclosure'] });
    const sub = `<sub alias="${d.ai_disclosure}">Acme</sub> ${d.recording_notice}`;
    expect(checkFirstMessage(lang, sub)).toMatchObject({ ok: false, missing: ['ai_disclosure'] });
  });

  it('refuses a sentence hidden in a comment', () => {
    const msg = `<!-- ${d.ai_disclosure} --> ${d.recording_notice} ${TAIL}`;
    expect(checkFirstMessage(lang, msg)).toMatchObject({ ok: false, missing: ['ai_disclosure'] });
    const unterminated = `${d.ai_disclosure} <!-- ${d.recording_notice}`;
    expect(checkFirstMessage(lang, unterminated)).toMatchObject({ ok: false, missing: ['recording_notice'] });
  });

  it('refuses a sentence in content that is not spoken (audio fallback, silent prosody, phoneme)', () => {
    for (const hidden of [
      `<audio src="https://x.test/jingle.mp3">${d.ai_disclosure}</audio>`,
      `<prosody volume="silent">${d.ai_disclosure}</prosody>`,
      `<phoneme alphabet="ipa" ph="həˈloʊ">${d.ai_disclosure}</phoneme>`,
    ]) {
      expect(checkFirstMessage(lang, `${hidden} ${d.recording_notice}`)).toMatchObject({
        ok: false,
        missing: ['ai_disclosure'],
      });
    }
    // Audible again after the element closes.
    const after = `<audio src="https://x.test/jingle.mp3"><br>Acme</audio> ${greeting(d)}`;
    expect(checkFirstMessage(lang, after)).toEqual({ ok: true });
  });

  it('matches at word boundaries only', () => {
    const longer = `${stripFinal(d.ai_disclosure)}x. ${d.recording_notice}`;
    expect(checkFirstMessage(lang, longer)).toMatchObject({ ok: false, missing: ['ai_disclosure'] });
    const prefixed = `${d.ai_disclosure} x${d.recording_notice}`;
    expect(checkFirstMessage(lang, prefixed)).toMatchObject({ ok: false, missing: ['recording_notice'] });
    // A space inside the longest word: the sentence is no longer heard.
    const longest = d.ai_disclosure.split(/[\s.-]/).reduce((a, b) => (b.length > a.length ? b : a));
    const half = Math.floor(longest.length / 2);
    const split = `${d.ai_disclosure.replace(longest, `${longest.slice(0, half)} ${longest.slice(half)}`)} ${d.recording_notice}`;
    expect(checkFirstMessage(lang, split)).toMatchObject({ ok: false, missing: ['ai_disclosure'] });
  });

  it('for an unrecorded call requires the not-recorded notice', () => {
    expect(checkFirstMessage(lang, `${d.ai_disclosure} ${d.not_recorded_notice}`, { recorded: false })).toEqual({
      ok: true,
    });
    const r = checkFirstMessage(lang, `${d.ai_disclosure} ${TAIL}`, { recorded: false });
    expect(r).toMatchObject({ ok: false, missing: ['not_recorded_notice'], forbidden: [] });
  });

  it('for an unrecorded call forbids a (false) recording notice', () => {
    const r = checkFirstMessage(lang, greeting(d), { recorded: false });
    expect(r).toMatchObject({ ok: false, missing: ['not_recorded_notice'], forbidden: ['recording_notice'] });
    if (!r.ok) expect(r.message).toMatch(/must not contain the recording notice/);
    const both = checkFirstMessage(lang, `${greeting(d)} ${d.not_recorded_notice}`, { recorded: false });
    expect(both).toMatchObject({ ok: false, missing: [], forbidden: ['recording_notice'] });
  });

  it('for a recorded call forbids a (false) not-recorded notice', () => {
    const r = checkFirstMessage(lang, `${greeting(d)} ${d.not_recorded_notice}`);
    expect(r).toMatchObject({ ok: false, missing: [], forbidden: ['not_recorded_notice'] });
  });
});

describe('checkFirstMessage: unknown language', () => {
  it.each(['xx', '', 'zz-ZZ'])('refuses %j with missing ["language"]', (lang) => {
    const r = checkFirstMessage(lang, 'You are speaking with an AI assistant. This call is recorded.');
    expect(r).toMatchObject({ ok: false, missing: ['language'] });
    if (!r.ok) expect(r.message).toContain('supported languages');
  });

  it('accepts a region tag of a catalogue language', () => {
    const d = disclaimerFor('de')!;
    expect(checkFirstMessage('de-AT', greeting(d))).toEqual({ ok: true });
  });
});

describe('checkFirstMessage: case folding of ß', () => {
  it('folds ß and ẞ to ss', () => {
    // No catalogue sentence contains ß, so check that folding at least does not break
    // matching when the rest of the message uses it in either form.
    const d = disclaimerFor('de')!;
    expect(checkFirstMessage('de', `Grüß Gott! ${greeting(d)} GRÜẞE`)).toEqual({ ok: true });
  });
});

describe.each(LANGS)('buildUnrecordedFirstMessage (%s)', (lang, d) => {
  const passesUnrecorded = (out: string) => {
    expect(checkFirstMessage(lang, out, { recorded: false })).toEqual({ ok: true });
    // Checked as a recorded call, the recording notice is reported missing: it is not in there.
    const asRecorded = checkFirstMessage(lang, out);
    expect(asRecorded.ok === false && asRecorded.missing).toContain('recording_notice');
    expect(out.startsWith(`${d.ai_disclosure} ${d.not_recorded_notice}`)).toBe(true);
  };

  it('opens with the two sentences, removes the recording notice and keeps the rest', () => {
    const out = buildUnrecordedFirstMessage(lang, greeting(d, 'Acme Dental, 24/7.'));
    passesUnrecorded(out);
    expect(out).toBe(`${d.ai_disclosure} ${d.not_recorded_notice} Acme Dental, 24/7.`);
  });

  it('removes a recording notice written with other case, spacing and punctuation', () => {
    const notice = stripFinal(d.recording_notice).toUpperCase().replace(/ /g, '\u00A0 ').normalize('NFD');
    const out = buildUnrecordedFirstMessage(lang, `Acme!  ${notice}!! ${d.ai_disclosure} Hello.`);
    passesUnrecorded(out);
    expect(out).toBe(`${d.ai_disclosure} ${d.not_recorded_notice} Acme! Hello.`);
  });

  it('removes every occurrence', () => {
    const out = buildUnrecordedFirstMessage(lang, `${d.recording_notice} Acme. ${d.recording_notice.toLowerCase()}`);
    passesUnrecorded(out);
    expect(out).toContain('Acme.');
  });

  it('falls back to the two sentences when the notice overlaps markup', () => {
    const out = buildUnrecordedFirstMessage(lang, `<speak>Acme. ${ssmlSplit(d.recording_notice)}</speak>`);
    passesUnrecorded(out);
    expect(out).toBe(`${d.ai_disclosure} ${d.not_recorded_notice}`);
  });

  it('keeps a leading <speak> tag first and the markup balanced', () => {
    const out = buildUnrecordedFirstMessage(
      lang,
      `<speak>${d.ai_disclosure} <break time="300ms"/>${d.recording_notice}<break time="300ms"/> Acme.</speak>`,
    );
    expect(out).toBe(
      `<speak>${d.ai_disclosure} ${d.not_recorded_notice} <break time="300ms"/><break time="300ms"/> Acme.</speak>`,
    );
    expect(checkFirstMessage(lang, out, { recorded: false })).toEqual({ ok: true });
  });

  it('works for an empty or notice-only greeting', () => {
    passesUnrecorded(buildUnrecordedFirstMessage(lang, ''));
    expect(buildUnrecordedFirstMessage(lang, d.recording_notice)).toBe(`${d.ai_disclosure} ${d.not_recorded_notice}`);
  });
});

describe('buildUnrecordedFirstMessage: tidy removal', () => {
  it.each([
    ['es', 'Hola. Esta llamada se está grabando. ¿En qué puedo ayudarle?', 'Hola. ¿En qué puedo ayudarle?'],
    ['fr', 'Bonjour ! « Cet appel est enregistré. » (Acme)', 'Bonjour ! (Acme)'],
    ['en', 'Hello.\nThis call is recorded.\nHow can I help?', 'Hello.\nHow can I help?'],
    ['en', 'This call This call is recorded. is recorded. Hi', 'Hi'],
    ['en', 'This call is recorded.This call is recorded. Hi', 'Hi'],
  ])('%s: %j keeps %j', (lang, input, rest) => {
    const d = disclaimerFor(lang)!;
    expect(buildUnrecordedFirstMessage(lang, input)).toBe(`${d.ai_disclosure} ${d.not_recorded_notice} ${rest}`);
  });
});

describe('buildUnrecordedFirstMessage: unknown language', () => {
  it('throws', () => {
    expect(() => buildUnrecordedFirstMessage('xx', 'Hello')).toThrow(RangeError);
  });
});
