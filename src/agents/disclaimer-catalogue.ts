/**
 * The sentences a caller must hear first, per language, and the check that an
 * agent's first message really says them.
 *
 * Why: EU AI Act Art. 50(1) (applying since 2 August 2026) requires that a
 * caller is told at the first interaction that they are talking to an AI
 * system, and callers must hear whether the call is recorded. An agent's first
 * message is free text written by the operator, so we require it to contain the
 * catalogue sentences of its language word for word, and we refuse it
 * otherwise (HTTP 422 with {@link FirstMessageCheck.message}).
 *
 * Matching rules. Both the first message and the catalogue sentence go through
 * the same normalisation, and the sentence must then occur in the message as a
 * run of whole words. Each rule is chosen for what a caller hears when the text
 * is spoken by TTS; when in doubt we err towards "not heard", because a false
 * refusal costs the operator an edit while a false acceptance leaves a caller
 * uninformed.
 *
 *  1. Markup is removed first. The message may be SSML/HTML, so tags are parsed
 *     (quoted attribute values may contain `>`):
 *     - a tag (`<break time="1s"/>`, `<emphasis>`, `</p>`) becomes a word break:
 *       words on either side of it are still heard, so a sentence split by
 *       markup still counts, but `assis<break/>tant` is two words;
 *     - attribute values never count (`<audio src="…">`, `alt="…"`, and also
 *       `<sub alias="…">`): they are not read out as written text;
 *     - comments `<!-- … -->`, and the declarations `<!…>`/`<?…?>`, do not count;
 *     - the content of elements that is not spoken as written does not count:
 *       `<audio>` (fallback text, only heard if the audio fails), `<sub>`
 *       (the alias is spoken instead), `<phoneme>` (the pronunciation replaces
 *       the text), `<desc>`, `<script>`, `<style>`, `<template>`, and
 *       `<prosody volume="silent">`;
 *     - an unterminated tag or comment, or an unclosed element from the
 *       previous item, swallows the rest of the message (a TTS parser may do
 *       the same, and we cannot tell what it will speak);
 *     - CDATA content counts (XML character data is spoken);
 *     - character references (`&nbsp;`, `&#8203;`, `&auml;`, `&#x41;`) are
 *       decoded to the character they stand for, which then goes through the
 *       rules below; unknown references stay literal text.
 *  2. Invisible characters are deleted (not turned into spaces): zero-width
 *     space/joiners, soft hyphen, word joiner, BOM, bidi controls, variation
 *     selectors, i.e. Unicode Default_Ignorable_Code_Point. TTS does not voice
 *     them, so `assis\u200Btant` is heard as "assistant" and matches.
 *  3. Unicode normalisation: NFKC, which decomposes (canonically and by
 *     compatibility, i.e. everything NFD does and more) and recomposes, so NFC
 *     and NFD accents, full-width letters and ligatures (`ﬁ`) all compare
 *     equal. Accents are kept: "é" ≠ "e", since they change words.
 *     Normalisation is done per base character with its combining marks, so it
 *     can be mapped back to the original text (equal to whole-string NFKC for
 *     the scripts in this catalogue).
 *  4. Case: locale-independent full case folding, approximated as
 *     lower(upper(lower(x))): "ß" and "ẞ" fold to "ss" (so "STRASSE" matches
 *     "Straße"), final sigma to sigma. Locale-specific rules (Turkish dotted
 *     i) are deliberately not applied, so results never depend on server locale.
 *  5. URLs, e-mail addresses and links are removed before matching: a
 *     whitespace-delimited token containing `://`, starting (after punctuation)
 *     with `www.` or `mailto:`, containing `x@y.z`, or shaped `host.tld/…`.
 *     TTS reads such a token as an address ("slash", "dot"), not as a sentence,
 *     so `https://example.com/you-are-speaking-with-an-ai-assistant` does not
 *     count. A dotted word without a slash (`recorded.You`) is a typo, not a
 *     URL, and is kept.
 *  6. All Unicode punctuation (P*) and symbols (S*), control characters and
 *     any white space (including NBSP, newlines, tabs) become a single space.
 *     So punctuation may be changed, added or dropped between words, and
 *     "KI-Assistenten" equals "KI Assistenten" - but not "KIAssistenten", and
 *     "A.I." is "A I", not "AI".
 *  7. Word boundaries: the normalised sentence must start and end at a word
 *     boundary of the normalised message, so "… AI assistants" does not
 *     satisfy "… AI assistant".
 *
 * The check asks only that the sentences occur somewhere in the first message
 * (the first message is the first interaction); it cannot detect contradicting
 * paraphrases such as "calls may be recorded" written in other words.
 */
import { createHash } from 'node:crypto';

/** The three sentences of one language, and the version of their wording. */
export interface Disclaimer {
  /**
   * Changes whenever a sentence changes: `<lang>-<date the wording took effect>`.
   * Each call stores it (calls.disclosure_version) as proof of what the caller was told.
   */
  readonly version: string;
  /** Says the caller is talking to an AI system (AI Act Art. 50(1)). */
  readonly ai_disclosure: string;
  /** Says the call is recorded. */
  readonly recording_notice: string;
  /** Says the call is not recorded: for callers who refused consent. */
  readonly not_recorded_notice: string;
}

/** The sentences of an entry (everything but its version). */
export type DisclaimerKey = 'ai_disclosure' | 'recording_notice' | 'not_recorded_notice';

/** A keypad consent prompt, with the version and hash that consent records cite. */
export interface ConsentPrompt {
  readonly text: string;
  /** Changes whenever the wording changes: `<lang>-<date the wording took effect>`. */
  readonly version: string;
  /** SHA-256 (hex) of `text` exactly as spoken, so a consent record proves what was heard. */
  readonly hash: string;
}

/** Result of {@link checkFirstMessage}. */
export type FirstMessageCheck =
  | { ok: true }
  | {
      ok: false;
      /** Required sentences not found (or 'language' when the language has no catalogue entry). */
      missing: Array<DisclaimerKey | 'language'>;
      /** Sentences found that must not be said: they would tell the caller something false. */
      forbidden: Array<'recording_notice' | 'not_recorded_notice'>;
      /** One or more English sentences naming the problem and quoting the expected text (HTTP 422 body). */
      message: string;
    };

// Formal address where the language has it on a business line (Sie, vous,
// usted, Lei, u, vy). Polish uses impersonal phrasing, which is polite without
// needing the caller's gender. Spanish, Portuguese and Italian spell out
// "artificial intelligence" because TTS may read "IA" as a syllable ("ia").
// Portuguese 'pt' is European Portuguese (EU callers); 'pt-br' is separate.
const CATALOGUE: Readonly<Record<string, Disclaimer>> = Object.freeze({
  en: {
    version: 'en-2026-12-01',
    ai_disclosure: 'You are speaking with an AI assistant.',
    recording_notice: 'This call is recorded.',
    not_recorded_notice: 'This call is not recorded.',
  },
  de: {
    version: 'de-2026-12-01',
    ai_disclosure: 'Sie sprechen mit einem KI-Assistenten.',
    recording_notice: 'Dieses Gespräch wird aufgezeichnet.',
    not_recorded_notice: 'Dieses Gespräch wird nicht aufgezeichnet.',
  },
  fr: {
    version: 'fr-2026-12-01',
    ai_disclosure: 'Vous parlez à un assistant IA.',
    recording_notice: 'Cet appel est enregistré.',
    not_recorded_notice: "Cet appel n'est pas enregistré.",
  },
  es: {
    version: 'es-2026-12-01',
    ai_disclosure: 'Está hablando con un asistente de inteligencia artificial.',
    recording_notice: 'Esta llamada se está grabando.',
    not_recorded_notice: 'Esta llamada no se está grabando.',
  },
  it: {
    version: 'it-2026-12-01',
    ai_disclosure: 'Sta parlando con un assistente di intelligenza artificiale.',
    recording_notice: 'Questa chiamata viene registrata.',
    not_recorded_notice: 'Questa chiamata non viene registrata.',
  },
  nl: {
    version: 'nl-2026-12-01',
    ai_disclosure: 'U spreekt met een AI-assistent.',
    recording_notice: 'Dit gesprek wordt opgenomen.',
    not_recorded_notice: 'Dit gesprek wordt niet opgenomen.',
  },
  pl: {
    version: 'pl-2026-12-01',
    ai_disclosure: 'Ta rozmowa jest prowadzona przez asystenta AI.',
    recording_notice: 'Ta rozmowa jest nagrywana.',
    not_recorded_notice: 'Ta rozmowa nie jest nagrywana.',
  },
  pt: {
    version: 'pt-2026-12-01',
    ai_disclosure: 'Está a falar com um assistente de inteligência artificial.',
    recording_notice: 'Esta chamada está a ser gravada.',
    not_recorded_notice: 'Esta chamada não está a ser gravada.',
  },
  'pt-br': {
    version: 'pt-br-2026-12-01',
    ai_disclosure: 'Você está falando com um assistente de inteligência artificial.',
    recording_notice: 'Esta chamada está sendo gravada.',
    not_recorded_notice: 'Esta chamada não está sendo gravada.',
  },
  sv: {
    version: 'sv-2026-12-01',
    ai_disclosure: 'Du talar med en AI-assistent.',
    recording_notice: 'Det här samtalet spelas in.',
    not_recorded_notice: 'Det här samtalet spelas inte in.',
  },
  da: {
    version: 'da-2026-12-01',
    ai_disclosure: 'Du taler med en AI-assistent.',
    recording_notice: 'Dette opkald bliver optaget.',
    not_recorded_notice: 'Dette opkald bliver ikke optaget.',
  },
  fi: {
    version: 'fi-2026-12-01',
    ai_disclosure: 'Puhut tekoälyavustajan kanssa.',
    recording_notice: 'Tämä puhelu tallennetaan.',
    not_recorded_notice: 'Tätä puhelua ei tallenneta.',
  },
  cs: {
    version: 'cs-2026-12-01',
    ai_disclosure: 'Hovoříte s asistentem s umělou inteligencí.',
    recording_notice: 'Tento hovor je nahráván.',
    not_recorded_notice: 'Tento hovor není nahráván.',
  },
} satisfies Record<string, Disclaimer>);

for (const entry of Object.values(CATALOGUE)) Object.freeze(entry);

/** Catalogue language codes (lower-case BCP 47: a primary subtag, or 'pt-br'). */
export const SUPPORTED_LANGUAGES: readonly string[] = Object.freeze(Object.keys(CATALOGUE));

/**
 * Maps a language tag to its catalogue key: case and `_`/`-` are ignored, an
 * exact entry ('pt-BR') wins, otherwise the primary subtag ('de-AT' → 'de').
 */
function resolveLanguage(language: string): string | undefined {
  if (typeof language !== 'string') return undefined;
  const tag = language.trim().toLowerCase().replace(/_/g, '-');
  if (Object.hasOwn(CATALOGUE, tag)) return tag;
  const primary = tag.split('-')[0] ?? '';
  return Object.hasOwn(CATALOGUE, primary) ? primary : undefined;
}

/**
 * The sentences for a language tag ('de', 'de-AT', 'pt-BR', …), or undefined
 * when the catalogue has no entry for it. The returned object is frozen.
 */
export function disclaimerFor(language: string): Disclaimer | undefined {
  const key = resolveLanguage(language);
  return key === undefined ? undefined : CATALOGUE[key];
}

// Keypad consent prompts, one per catalogue language: the prompt is spoken in
// the caller's language (by country, else the agent's; see
// src/calls/consent-language.ts). Each says what the German original says:
// the call with an AI assistant may be recorded for quality assurance, 1
// agrees and 2 declines; the newer texts also say outright that nothing is
// recorded without consent. Formal address as in the catalogue above. The
// wording is versioned and hashed because consent records must show exactly
// what the caller agreed to; any change to a text needs a new version.
const CONSENT_TEXTS: Readonly<Record<string, { text: string; version: string }>> = {
  en: {
    text:
      'This call with an AI assistant may be recorded for quality assurance. Nothing is recorded without your consent. ' +
      'Press 1 if you agree to the recording, or 2 if you do not.',
    version: 'en-2026-12-01',
  },
  de: {
    text:
      'Dieses Gespräch mit einem KI-Assistenten kann zur Qualitätssicherung aufgezeichnet werden. ' +
      'Drücken Sie die 1, wenn Sie der Aufzeichnung zustimmen, oder die 2, wenn Sie nicht zustimmen.',
    version: 'de-2026-11-01',
  },
  fr: {
    text:
      "Cet appel avec un assistant IA peut être enregistré à des fins de contrôle qualité. Rien n'est enregistré sans votre accord. " +
      "Appuyez sur 1 si vous acceptez l'enregistrement, ou sur 2 si vous le refusez.",
    version: 'fr-2026-12-01',
  },
  es: {
    text:
      'Esta llamada con un asistente de inteligencia artificial puede grabarse con fines de control de calidad. ' +
      'No se graba nada sin su consentimiento. Pulse 1 si acepta la grabación o 2 si no la acepta.',
    version: 'es-2026-12-01',
  },
  it: {
    text:
      'Questa chiamata con un assistente di intelligenza artificiale può essere registrata per il controllo della qualità. ' +
      'Senza il suo consenso non viene registrato nulla. Prema 1 se acconsente alla registrazione, oppure 2 se non acconsente.',
    version: 'it-2026-12-01',
  },
  nl: {
    text:
      'Dit gesprek met een AI-assistent kan worden opgenomen voor kwaliteitsdoeleinden. Zonder uw toestemming wordt er niets opgenomen. ' +
      'Druk op 1 als u instemt met de opname, of op 2 als u niet instemt.',
    version: 'nl-2026-12-01',
  },
  pl: {
    text:
      'Ta rozmowa z asystentem AI może być nagrywana w celu zapewnienia jakości obsługi. ' +
      'Aby wyrazić zgodę na nagrywanie, prosimy nacisnąć 1. Aby odmówić, prosimy nacisnąć 2.',
    version: 'pl-2026-11-01',
  },
  pt: {
    text:
      'Esta chamada com um assistente de inteligência artificial pode ser gravada para fins de controlo de qualidade. ' +
      'Nada é gravado sem o seu consentimento. Prima 1 se concorda com a gravação ou 2 se não concorda.',
    version: 'pt-2026-12-01',
  },
  'pt-br': {
    text:
      'Esta chamada com um assistente de inteligência artificial pode ser gravada para fins de controle de qualidade. ' +
      'Nada é gravado sem o seu consentimento. Digite 1 se concordar com a gravação ou 2 se não concordar.',
    version: 'pt-br-2026-12-01',
  },
  sv: {
    text:
      'Det här samtalet med en AI-assistent kan spelas in i kvalitetssyfte. Ingenting spelas in utan ditt samtycke. ' +
      'Tryck 1 om du godkänner inspelningen eller 2 om du inte godkänner den.',
    version: 'sv-2026-12-01',
  },
  da: {
    text:
      'Dette opkald med en AI-assistent kan blive optaget af hensyn til kvalitetssikring. Intet bliver optaget uden dit samtykke. ' +
      'Tryk 1, hvis du giver samtykke til optagelsen, eller 2, hvis du ikke gør.',
    version: 'da-2026-12-01',
  },
  fi: {
    text:
      'Tämä puhelu tekoälyavustajan kanssa voidaan tallentaa laadunvarmistusta varten. Mitään ei tallenneta ilman suostumustasi. ' +
      'Paina 1, jos hyväksyt tallennuksen, tai 2, jos et hyväksy.',
    version: 'fi-2026-12-01',
  },
  cs: {
    text:
      'Tento hovor s asistentem s umělou inteligencí může být nahráván za účelem zajištění kvality. Bez vašeho souhlasu se nic nenahrává. ' +
      'Stiskněte 1, pokud s nahráváním souhlasíte, nebo 2, pokud nesouhlasíte.',
    version: 'cs-2026-12-01',
  },
};

const CONSENT_PROMPTS: Readonly<Record<string, ConsentPrompt>> = Object.freeze(
  Object.fromEntries(Object.entries(CONSENT_TEXTS).map(([lang, p]) => [lang, makeConsentPrompt(p)])),
);

function makeConsentPrompt(p: { text: string; version: string }): ConsentPrompt {
  return Object.freeze({ ...p, hash: createHash('sha256').update(p.text, 'utf8').digest('hex') });
}

/**
 * The catalogue key of a language tag ('de-AT' → 'de', 'pt-BR' → 'pt-br'),
 * or undefined when the catalogue has no entry for it.
 */
export function catalogueLanguage(language: string): string | undefined {
  return resolveLanguage(language);
}

/**
 * The keypad consent prompt (1 = consent to recording, 2 = refuse) in a
 * catalogue language (region tags resolve as in disclaimerFor). The same
 * prompt is repeated when no valid key is pressed. Throws a RangeError for a
 * language without catalogue entry.
 */
export function consentPrompt(lang: string): ConsentPrompt {
  const key = resolveLanguage(lang);
  const prompt = key === undefined ? undefined : CONSENT_PROMPTS[key];
  if (!prompt) throw new RangeError(`no consent prompt for language ${JSON.stringify(String(lang))}`);
  return prompt;
}

// ---------------------------------------------------------------------------
// Normalisation. A "mapped text" keeps, for each UTF-16 unit, the range of the
// original message it came from, so a match can be cut out of the original
// (buildUnrecordedFirstMessage) and not only detected.

interface MappedText {
  text: string;
  starts: number[];
  ends: number[];
}

class MappedBuilder {
  private parts: string[] = [];
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  private last = '';

  push(s: string, start: number, end: number): void {
    if (s === '') return;
    this.parts.push(s);
    for (let k = 0; k < s.length; k++) {
      this.starts.push(start);
      this.ends.push(end);
    }
    this.last = s[s.length - 1]!;
  }

  /** Pushes a single space, merging it into a preceding space (runs collapse to one). */
  pushSpace(start: number, end: number): void {
    if (this.last === ' ') {
      const i = this.ends.length - 1;
      this.ends[i] = Math.max(this.ends[i]!, end);
      return;
    }
    this.push(' ', start, end);
  }

  build(): MappedText {
    return { text: this.parts.join(''), starts: this.starts, ends: this.ends };
  }
}

// Elements whose content a TTS engine does not speak as written (see rule 1).
const SUPPRESSED_ELEMENTS = new Set(['audio', 'sub', 'phoneme', 'desc', 'script', 'style', 'template']);
// Elements that never have content, so an unslashed `<br>` does not open anything.
const VOID_ELEMENTS = new Set([
  'area', 'base', 'br', 'break', 'col', 'embed', 'hr', 'img', 'input', 'link', 'mark', 'meta', 'source', 'track', 'wbr',
]);

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00A0', shy: '\u00AD',
  ensp: '\u2002', emsp: '\u2003', thinsp: '\u2009', zwnj: '\u200C', zwj: '\u200D',
  ZeroWidthSpace: '\u200B', NoBreak: '\u2060', ndash: '–', mdash: '—', hellip: '…',
  lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', laquo: '«', raquo: '»', iexcl: '¡', iquest: '¿',
  auml: 'ä', ouml: 'ö', uuml: 'ü', Auml: 'Ä', Ouml: 'Ö', Uuml: 'Ü', szlig: 'ß',
  aacute: 'á', eacute: 'é', iacute: 'í', oacute: 'ó', uacute: 'ú', yacute: 'ý',
  Aacute: 'Á', Eacute: 'É', Iacute: 'Í', Oacute: 'Ó', Uacute: 'Ú', Yacute: 'Ý',
  agrave: 'à', egrave: 'è', igrave: 'ì', ograve: 'ò', ugrave: 'ù',
  Agrave: 'À', Egrave: 'È', Igrave: 'Ì', Ograve: 'Ò', Ugrave: 'Ù',
  acirc: 'â', ecirc: 'ê', icirc: 'î', ocirc: 'ô', ucirc: 'û', euml: 'ë', iuml: 'ï',
  atilde: 'ã', otilde: 'õ', ntilde: 'ñ', Atilde: 'Ã', Otilde: 'Õ', Ntilde: 'Ñ',
  ccedil: 'ç', Ccedil: 'Ç', aring: 'å', Aring: 'Å', aelig: 'æ', AElig: 'Æ', oslash: 'ø', Oslash: 'Ø',
  scaron: 'š', Scaron: 'Š',
};

const ENTITY_RE = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([A-Za-z][A-Za-z0-9]{1,31}));/y;

function decodeEntity(dec: string | undefined, hex: string | undefined, name: string | undefined): string | undefined {
  if (name !== undefined) return Object.hasOwn(NAMED_ENTITIES, name) ? NAMED_ENTITIES[name] : undefined;
  const cp = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex!, 16);
  // Surrogates and out-of-range code points are not characters: keep the text literal.
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
  return String.fromCodePoint(cp);
}

/** Index just after the `>` closing the tag that starts at `i`, honouring quotes; -1 if unterminated. */
function findTagEnd(src: string, i: number): number {
  let quote = '';
  for (let k = i + 1; k < src.length; k++) {
    const c = src[k];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '>') {
      return k + 1;
    }
  }
  return -1;
}

/** Tracks elements whose content is not heard; `open` is the stack of such elements and their children. */
function updateSuppression(tag: string, open: string[]): void {
  const m = /^<(\/)?\s*([A-Za-z][\w:.-]*)/.exec(tag);
  if (!m) return; // declaration or processing instruction
  const name = m[2]!.toLowerCase().replace(/^.*:/, ''); // local name without namespace prefix
  const closing = m[1] === '/';
  const empty = /\/\s*>$/.test(tag) || VOID_ELEMENTS.has(name);
  if (closing) {
    // Like HTML's implied end tags: a close tag ends any unclosed children too.
    const at = open.lastIndexOf(name);
    if (at >= 0) open.length = at;
    return;
  }
  if (empty) return;
  if (open.length > 0) {
    open.push(name);
  } else if (SUPPRESSED_ELEMENTS.has(name) || (name === 'prosody' && /\bvolume\s*=\s*["']?\s*silent\b/i.test(tag))) {
    open.push(name);
  }
}

/** Rule 1: the text a caller hears, mapped to the original; `markup` flags every unit that is not heard text. */
function scanMarkup(src: string): { heard: MappedText; markup: Uint8Array } {
  const out = new MappedBuilder();
  const markup = new Uint8Array(src.length);
  const suppressed: string[] = [];
  const boundary = (start: number, end: number): void => {
    markup.fill(1, start, end);
    out.pushSpace(start, end);
  };
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '<') {
      if (src.startsWith('<!--', i)) {
        const close = src.indexOf('-->', i + 4);
        const end = close < 0 ? src.length : close + 3;
        boundary(i, end);
        i = end;
        continue;
      }
      if (src.startsWith('<![CDATA[', i)) {
        const close = src.indexOf(']]>', i + 9);
        const contentEnd = close < 0 ? src.length : close;
        boundary(i, i + 9);
        if (suppressed.length > 0) {
          markup.fill(1, i + 9, contentEnd);
        } else {
          for (let k = i + 9; k < contentEnd; ) {
            const ch = String.fromCodePoint(src.codePointAt(k)!);
            out.push(ch, k, k + ch.length);
            k += ch.length;
          }
        }
        if (close >= 0) boundary(close, close + 3);
        i = close < 0 ? src.length : close + 3;
        continue;
      }
      if (/[A-Za-z/!?]/.test(src[i + 1] ?? '')) {
        const end = findTagEnd(src, i);
        if (end < 0) {
          boundary(i, src.length);
          break;
        }
        boundary(i, end);
        updateSuppression(src.slice(i, end), suppressed);
        i = end;
        continue;
      }
    }
    if (suppressed.length > 0) {
      markup[i] = 1;
      i++;
      continue;
    }
    if (c === '&') {
      ENTITY_RE.lastIndex = i;
      const m = ENTITY_RE.exec(src);
      const decoded = m ? decodeEntity(m[1], m[2], m[3]) : undefined;
      if (m && decoded !== undefined) {
        out.push(decoded, i, i + m[0].length);
        i += m[0].length;
        continue;
      }
    }
    const ch = String.fromCodePoint(src.codePointAt(i)!);
    out.push(ch, i, i + ch.length);
    i += ch.length;
  }
  return { heard: out.build(), markup };
}

const IGNORABLE_RE = /^\p{Default_Ignorable_Code_Point}$/u;
const CLUSTER_RE = /\P{M}\p{M}*|\p{M}+/gu;
const SEPARATOR_RE = /^[\p{P}\p{S}\p{Z}\p{Cc}\p{Cf}\s]$/u;

/** Rule 4: locale-independent full case folding (ß/ẞ → ss, ς → σ). */
function foldCase(s: string): string {
  return s.toLowerCase().toUpperCase().toLowerCase();
}

/** Rule 5: does a whitespace-delimited token (already NFKC and case-folded) look like an address? */
function isAddressToken(token: string): boolean {
  return (
    token.includes('://') ||
    /(?:^|[^\p{L}\p{N}])(?:www\.|mailto:)/u.test(token) ||
    /[\p{L}\p{N}._%+-]@[\p{L}\p{N}-]+\./u.test(token) ||
    hasHostBeforeSlash(token)
  );
}

const HOST_CHAR_RE = /^[\p{L}\p{N}.-]$/u;
const HOST_RE = /^(?:[\p{L}\p{N}-]+\.)+\p{L}{2,}$/u;

/**
 * Does a `/` follow a host name (`example.com/…`)? Scans back from each slash
 * by hand: an unanchored regex would be quadratic on long dotted tokens.
 */
function hasHostBeforeSlash(token: string): boolean {
  for (let slash = token.indexOf('/'); slash >= 0; slash = token.indexOf('/', slash + 1)) {
    let from = slash;
    while (from > 0 && HOST_CHAR_RE.test(token[from - 1]!)) from--;
    while (from < slash && (token[from] === '.' || token[from] === '-')) from++;
    if (HOST_RE.test(token.slice(from, slash))) return true;
  }
  return false;
}

/** Runs rules 2-7 over already-heard text; the result is padded with a space on both sides. */
function normaliseHeard(heard: MappedText): MappedText {
  // Rule 2: delete invisible characters before clustering, so an accent after
  // a zero-width space still composes with its letter.
  const visible = new MappedBuilder();
  for (let k = 0; k < heard.text.length; ) {
    const ch = String.fromCodePoint(heard.text.codePointAt(k)!);
    if (!IGNORABLE_RE.test(ch)) visible.push(ch, heard.starts[k]!, heard.ends[k + ch.length - 1]!);
    k += ch.length;
  }
  const v = visible.build();

  // Rules 3 and 4, per base character with its combining marks.
  const folded = new MappedBuilder();
  for (const m of v.text.matchAll(CLUSTER_RE)) {
    const at = m.index;
    const norm = foldCase(m[0].normalize('NFKC')).normalize('NFKC');
    folded.push(norm, v.starts[at]!, v.ends[at + m[0].length - 1]!);
  }
  const f = folded.build();

  // Rule 5: blank out address tokens, then rule 6: separators to one space.
  const out = new MappedBuilder();
  out.pushSpace(0, 0);
  for (const m of f.text.matchAll(/\S+|\s+/gu)) {
    const at = m.index;
    const start = f.starts[at]!;
    const end = f.ends[at + m[0].length - 1]!;
    if (/^\s/u.test(m[0]) || isAddressToken(m[0])) {
      out.pushSpace(start, end);
      continue;
    }
    for (let k = 0; k < m[0].length; ) {
      const ch = String.fromCodePoint(m[0].codePointAt(k)!);
      const s = f.starts[at + k]!;
      const e = f.ends[at + k + ch.length - 1]!;
      if (SEPARATOR_RE.test(ch)) out.pushSpace(s, e);
      else out.push(ch, s, e);
      k += ch.length;
    }
  }
  const endOfText = heard.ends.length > 0 ? heard.ends[heard.ends.length - 1]! : 0;
  out.pushSpace(endOfText, endOfText);
  return out.build();
}

interface Analysis {
  view: MappedText;
  markup: Uint8Array;
}

function analyse(message: string): Analysis {
  const { heard, markup } = scanMarkup(typeof message === 'string' ? message : '');
  return { view: normaliseHeard(heard), markup };
}

const needles = new Map<string, string>();

/** A catalogue sentence in normalised form: " word word … " (padding spaces give rule 7). */
function needle(sentence: string): string {
  let n = needles.get(sentence);
  if (n === undefined) {
    n = analyse(sentence).view.text;
    needles.set(sentence, n);
  }
  return n;
}

function contains(a: Analysis, sentence: string): boolean {
  return a.view.text.includes(needle(sentence));
}

const LABELS: Readonly<Record<DisclaimerKey, string>> = {
  ai_disclosure: 'the AI disclosure',
  recording_notice: 'the recording notice',
  not_recorded_notice: 'the notice that the call is not recorded',
};

const MATCHING_HINT =
  'Case, spacing, punctuation and markup between words do not matter; ' +
  'text in URLs, tag attributes, comments and inside <audio>, <sub>, <phoneme> or silent <prosody> does not count.';

function quoteList(keys: DisclaimerKey[], d: Disclaimer): string {
  const items = keys.map((k) => `${LABELS[k]} "${d[k]}"`);
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * Checks that an agent's first message says, in its language, that the caller
 * is talking to an AI system and whether the call is recorded (see the module
 * comment for the matching rules).
 *
 * - Recorded calls (default): requires `ai_disclosure` and `recording_notice`;
 *   a `not_recorded_notice` is forbidden (it would be false).
 * - `recorded: false` (the caller refused consent): requires `ai_disclosure`
 *   and `not_recorded_notice`; a `recording_notice` is forbidden.
 * - A language without catalogue entry: `missing: ['language']`.
 *
 * On failure `missing` lists what is absent, `forbidden` what must be taken
 * out, and `message` explains both in English, quoting the expected sentences.
 */
export function checkFirstMessage(
  language: string,
  firstMessage: string,
  opts: { recorded?: boolean } = {},
): FirstMessageCheck {
  const key = resolveLanguage(language);
  if (key === undefined) {
    return {
      ok: false,
      missing: ['language'],
      forbidden: [],
      message:
        `There are no required first-message sentences for language ${JSON.stringify(String(language))}; ` +
        `supported languages are ${SUPPORTED_LANGUAGES.join(', ')}.`,
    };
  }
  const d = CATALOGUE[key]!;
  const recorded = opts.recorded !== false;
  const a = analyse(firstMessage);
  const required: DisclaimerKey[] = ['ai_disclosure', recorded ? 'recording_notice' : 'not_recorded_notice'];
  const banned: 'recording_notice' | 'not_recorded_notice' = recorded ? 'not_recorded_notice' : 'recording_notice';
  const missing = required.filter((k) => !contains(a, d[k]));
  const forbidden = contains(a, d[banned]) ? [banned] : [];
  if (missing.length === 0 && forbidden.length === 0) return { ok: true };

  const parts: string[] = [];
  if (missing.length > 0) {
    parts.push(`The first message (language "${key}") must contain ${quoteList(missing, d)}, word for word.`);
  }
  if (forbidden.length > 0) {
    parts.push(
      recorded
        ? `It must not contain ${LABELS.not_recorded_notice} "${d.not_recorded_notice}", because this call is recorded.`
        : `It must not contain ${LABELS.recording_notice} "${d.recording_notice}": this call is not recorded, ` +
            'so a recording notice must not be given.',
    );
  }
  if (missing.length > 0) parts.push(MATCHING_HINT);
  return { ok: false, missing, forbidden, message: parts.join(' ') };
}

// A removed sentence takes its own punctuation with it: what closes it ("."
// "!" "…", then a closing quote or bracket, with the spaces in between) and an
// opening quote or bracket ("«", "(", "¿") right before it. Punctuation that
// opens the next sentence and markup ('<', '&') never go, so the greeting keeps
// its Spanish question mark and its tags stay balanced.
const CLOSING_PUNCT_RE = /^[\p{Po}\p{Pe}\p{Pf}\p{Default_Ignorable_Code_Point}]$/u;
const NOT_CLOSING = new Set(['&', '¿', '¡', '#', '@', '*']);
const CLOSING_BRACKET_RE = /^[\p{Pe}\p{Pf}]$/u;
const OPENING_PUNCT_RE = /^[\p{Ps}\p{Pi}¿¡]$/u;

/** Widens a matched sentence [start, end) over its own punctuation (see above). */
function widen(text: string, start: number, end: number): [number, number] {
  let e = end;
  while (e < text.length && !NOT_CLOSING.has(text[e]!) && CLOSING_PUNCT_RE.test(text[e]!)) e++;
  for (;;) {
    let k = e;
    while (k < text.length && /\s/u.test(text[k]!)) k++;
    if (k < text.length && CLOSING_BRACKET_RE.test(text[k]!)) e = k + 1;
    else {
      e = k;
      break;
    }
  }
  let s = start;
  for (;;) {
    let k = s;
    while (k > 0 && /\s/u.test(text[k - 1]!)) k--;
    if (k > 0 && OPENING_PUNCT_RE.test(text[k - 1]!)) s = k - 1;
    else break;
  }
  return [s, e];
}

/**
 * Removes every occurrence of `sentence` (as matched by checkFirstMessage) from
 * `message`. Returns undefined when an occurrence overlaps markup, because
 * cutting it out would leave unbalanced tags.
 */
function removeSentence(message: string, sentence: string): string | undefined {
  const n = needle(sentence);
  let text = message;
  // Each pass removes every occurrence. Another pass is only needed when a
  // removal joins two halves into a new occurrence ("This call This call is
  // recorded. is recorded."), so a few passes suffice; beyond that, give up.
  for (let pass = 0; pass < 8; pass++) {
    const a = analyse(text);
    const ranges: Array<[number, number]> = [];
    for (let at = a.view.text.indexOf(n); at >= 0; at = a.view.text.indexOf(n, at + n.length - 1)) {
      const core: [number, number] = [a.view.starts[at + 1]!, a.view.ends[at + n.length - 2]!];
      if (a.markup.subarray(core[0], core[1]).includes(1)) return undefined;
      const [start, end] = widen(text, core[0], core[1]);
      // Widening only crosses plain text, but never let two ranges overlap.
      const previous = ranges[ranges.length - 1];
      if (previous && start < previous[1]) previous[1] = Math.max(previous[1], end);
      else ranges.push([start, end]);
    }
    if (ranges.length === 0) return text;
    // Cut from the back so earlier offsets stay valid.
    for (const [start, end] of ranges.reverse()) text = cut(text, start, end);
  }
  return undefined;
}

/**
 * Removes text[start, end) and joins what is left with one separator: a line
 * break if there was one, and nothing next to a tag (a tag already separates words).
 */
function cut(text: string, start: number, end: number): string {
  const kept = text.slice(0, start);
  const before = kept.replace(/\s+$/u, '');
  const after = text.slice(end);
  const gap = kept.slice(before.length);
  const joiner =
    before === '' || after === '' || before.endsWith('>') || after.startsWith('<') ? gap : gap.includes('\n') ? '\n' : ' ';
  return before + joiner + after;
}

/**
 * The first message for a caller who refused recording: the language's
 * ai_disclosure and not_recorded_notice, followed by the rest of the agent's
 * greeting with every recording notice (and duplicate disclosures) removed,
 * matched by the same normalisation as checkFirstMessage. A leading `<speak>`
 * tag stays first. If the recording notice cannot be removed cleanly (it
 * overlaps markup), the result is only the two sentences. The result always
 * passes `checkFirstMessage(language, result, { recorded: false })`.
 * Throws a RangeError for a language without catalogue entry.
 */
export function buildUnrecordedFirstMessage(language: string, firstMessage: string): string {
  const d = disclaimerFor(language);
  if (d === undefined) throw new RangeError(`no disclaimer catalogue for language ${JSON.stringify(String(language))}`);
  const opening = `${d.ai_disclosure} ${d.not_recorded_notice}`;
  const original = typeof firstMessage === 'string' ? firstMessage : '';

  let rest = removeSentence(original, d.recording_notice);
  if (rest === undefined) return opening;
  // Duplicates are only tidied; where one cannot be cut cleanly it is harmless to keep.
  rest = removeSentence(rest, d.ai_disclosure) ?? rest;
  rest = removeSentence(rest, d.not_recorded_notice) ?? rest;

  const speak = /^\s*<speak\b[^>]*>/i.exec(rest);
  const head = speak ? speak[0] : '';
  let body = rest.slice(head.length).trim();
  // Nothing audible left (only punctuation or whitespace): drop it.
  if (!/[\p{L}\p{N}<]/u.test(body)) body = '';
  const result = `${head}${opening}${body ? ` ${body}` : ''}`;
  return checkFirstMessage(language, result, { recorded: false }).ok ? result : opening;
}
