import type { Lang } from '../dashboard/messages.js';

/** The texts of the public /subprocessors page (English defines the shape). */
const en = {
  title: 'Sub-processors',
  /** The h1: the title, with soft hyphens where a long word needs them on a 375 px screen. */
  heading: 'Sub-processors',
  switchLabel: 'Language',
  /** Before the version, between it and the JSON link, the link, after. */
  intro: ['These companies process personal data on our behalf (GDPR Art. 28). List version ', '; also as ', 'JSON', '.'],
  /** A note that the entries are shown as they were entered (usually English); none in English. */
  entriesAsEntered: '',
  inUse: 'In use',
  inUseLabel: 'Sub-processors in use',
  announced: 'Announced',
  announcedLabel: 'Sub-processors announced',
  notice: 'Customers are told at least 30 days before a new sub-processor takes effect and may object.',
  noneAnnounced: 'None announced.',
  purpose: 'Purpose',
  data: 'Data',
  region: 'Region',
  role: 'Role',
  safeguards: 'Safeguards',
  announcedAt: 'Announced',
  effectiveAt: 'Takes effect',
  /** Before the link, the link, after. */
  seeAlso: ['See also the ', 'trust controls', '.'],
};

export type SubprocessorsMessages = typeof en;

const de: SubprocessorsMessages = {
  title: 'Unterauftragsverarbeiter',
  heading: 'Unter\u00adauftrags\u00adverarbeiter',
  switchLabel: 'Sprache',
  intro: ['Diese Unternehmen verarbeiten personenbezogene Daten in unserem Auftrag (Art. 28 DSGVO). Version der Liste: ', '; auch als ', 'JSON', '.'],
  entriesAsEntered: 'Die Angaben zu den einzelnen Unterauftragsverarbeitern geben wir so wieder, wie sie eingetragen wurden, meist auf Englisch.',
  inUse: 'Im Einsatz',
  inUseLabel: 'Unterauftragsverarbeiter im Einsatz',
  announced: 'Angekündigt',
  announcedLabel: 'Angekündigte Unterauftragsverarbeiter',
  notice: 'Kunden erfahren mindestens 30 Tage, bevor ein neuer Unterauftragsverarbeiter tätig wird, davon und können widersprechen.',
  noneAnnounced: 'Derzeit ist keiner angekündigt.',
  purpose: 'Zweck',
  data: 'Daten',
  region: 'Region',
  role: 'Rolle',
  safeguards: 'Garantien',
  announcedAt: 'Angekündigt am',
  effectiveAt: 'Tätig ab',
  seeAlso: ['Siehe auch die ', 'Vertrauenskontrollen', '.'],
};

const pl: SubprocessorsMessages = {
  title: 'Dalsze podmioty przetwarzające',
  heading: 'Dalsze podmioty przetwarzające',
  switchLabel: 'Język',
  intro: ['Te firmy przetwarzają dane osobowe w naszym imieniu (art. 28 RODO). Wersja listy: ', '; dostępna także jako ', 'JSON', '.'],
  entriesAsEntered: 'Opisy poszczególnych podmiotów podajemy w brzmieniu, w jakim zostały wprowadzone, zwykle po angielsku.',
  inUse: 'W użyciu',
  inUseLabel: 'Dalsze podmioty przetwarzające w użyciu',
  announced: 'Zapowiedziane',
  announcedLabel: 'Zapowiedziane dalsze podmioty przetwarzające',
  notice: 'Klienci są informowani co najmniej 30 dni przed tym, jak nowy dalszy podmiot przetwarzający zacznie działać, i mogą zgłosić sprzeciw.',
  noneAnnounced: 'Obecnie żaden nie jest zapowiedziany.',
  purpose: 'Cel',
  data: 'Dane',
  region: 'Region',
  role: 'Rola',
  safeguards: 'Zabezpieczenia',
  announcedAt: 'Zapowiedziano',
  effectiveAt: 'Obowiązuje od',
  seeAlso: ['Zobacz też ', 'mechanizmy zaufania', '.'],
};

export const SUBPROCESSORS_MESSAGES: Record<Lang, SubprocessorsMessages> = { en, de, pl };
