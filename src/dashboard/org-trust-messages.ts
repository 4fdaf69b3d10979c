import type { Lang } from './messages.js';

/** The trust page's texts (English defines the shape; German and Polish follow it). */
export const en = {
  trustTitle: 'Trust',
  trustIntro:
    'The privacy controls of this service, checked live for this organisation: read from the database and the job history when this page was opened, not written in advance.',
  checkedAt: 'Checked at {time}.',
  allPass: 'Every control passes.',
  allRunPass: 'Every control that has run passes.',
  somePending: '{n} not yet run: their job has not run yet on this new installation.',
  someFail: '{n} of {total} controls fail.',
  statePass: 'Passes',
  stateFail: 'Fails',
  stateInfo: 'For information',
  statePending: 'Not yet run',
  stateLabel: 'State',
  checkedLabel: 'Checked',
  publicList: 'What each control means',
};

export type OrgTrustMessages = typeof en;

export const de: OrgTrustMessages = {
  trustTitle: 'Vertrauen',
  trustIntro:
    'Die Datenschutzkontrollen dieses Dienstes, live für diese Organisation geprüft: beim Öffnen dieser Seite aus der Datenbank und dem Verlauf der Aufträge gelesen, nicht vorab geschrieben.',
  checkedAt: 'Geprüft um {time}.',
  allPass: 'Alle Kontrollen sind erfüllt.',
  allRunPass: 'Alle bereits geprüften Kontrollen sind erfüllt.',
  somePending: '{n} noch nicht gelaufen: ihr Auftrag ist in dieser neuen Installation noch nicht gelaufen.',
  someFail: '{n} von {total} Kontrollen sind nicht erfüllt.',
  statePass: 'Erfüllt',
  stateFail: 'Nicht erfüllt',
  stateInfo: 'Zur Information',
  statePending: 'Noch nicht gelaufen',
  stateLabel: 'Zustand',
  checkedLabel: 'Geprüft',
  publicList: 'Was jede Kontrolle bedeutet',
};

export const pl: OrgTrustMessages = {
  trustTitle: 'Zaufanie',
  trustIntro:
    'Mechanizmy ochrony prywatności tej usługi, sprawdzane na żywo dla tej organizacji: odczytane z bazy danych i historii zadań w chwili otwarcia tej strony, a nie zapisane z góry.',
  checkedAt: 'Sprawdzono o {time}.',
  allPass: 'Wszystkie mechanizmy działają.',
  allRunPass: 'Wszystkie sprawdzone już mechanizmy działają.',
  somePending: '{n} jeszcze nie uruchomiono: ich zadanie nie zostało jeszcze wykonane w tej nowej instalacji.',
  someFail: '{n} z {total} mechanizmów nie działa.',
  statePass: 'Działa',
  stateFail: 'Nie działa',
  stateInfo: 'Do wiadomości',
  statePending: 'Jeszcze nie uruchomiono',
  stateLabel: 'Stan',
  checkedLabel: 'Sprawdzono',
  publicList: 'Co oznacza każdy mechanizm',
};

export const ORG_TRUST_MESSAGES: Record<Lang, OrgTrustMessages> = { en, de, pl };
