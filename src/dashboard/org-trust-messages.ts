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
  detailsInEnglish: 'The details of each check are given in English.',
  publicList: 'What each control means',
  controls: {
    rls_enabled: 'Tenant isolation in the database',
    audit_append_only: 'Unchangeable audit log',
    audit_chain: 'Tamper-evident audit log',
    retention: 'Retention window enforced',
    transcript_encryption: 'Transcript encryption',
    dtmf_consent: 'Keypad consent before recording',
    agent_platform: 'Agents in line at ElevenLabs',
    erasure_requests: 'Erasure requests answered in time',
    incidents: 'Breach notification clock',
    ops_alerts: 'Operational alerts',
    subprocessors: 'Sub-processor list',
  } as Record<string, string>,
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
  detailsInEnglish: 'Die Einzelheiten jeder Prüfung sind auf Englisch angegeben.',
  publicList: 'Was jede Kontrolle bedeutet',
  controls: {
    rls_enabled: 'Trennung der Mandanten in der Datenbank',
    audit_append_only: 'Unveränderliches Protokoll',
    audit_chain: 'Manipulationssicheres Protokoll',
    retention: 'Aufbewahrungsfrist durchgesetzt',
    transcript_encryption: 'Verschlüsselung der Transkripte',
    dtmf_consent: 'Einwilligung per Tastendruck vor der Aufnahme',
    agent_platform: 'Agenten bei ElevenLabs richtig eingestellt',
    erasure_requests: 'Löschanträge fristgerecht beantwortet',
    incidents: 'Frist für Meldungen von Datenpannen',
    ops_alerts: 'Betriebswarnungen',
    subprocessors: 'Liste der Unterauftragsverarbeiter',
  },
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
  detailsInEnglish: 'Szczegóły każdego sprawdzenia podane są po angielsku.',
  publicList: 'Co oznacza każdy mechanizm',
  controls: {
    rls_enabled: 'Rozdzielenie organizacji w bazie danych',
    audit_append_only: 'Niezmienny dziennik zdarzeń',
    audit_chain: 'Dziennik zdarzeń odporny na manipulacje',
    retention: 'Przestrzegany okres przechowywania',
    transcript_encryption: 'Szyfrowanie transkrypcji',
    dtmf_consent: 'Zgoda klawiszem przed nagrywaniem',
    agent_platform: 'Agenci w ElevenLabs ustawieni zgodnie z zasadami',
    erasure_requests: 'Żądania usunięcia obsłużone w terminie',
    incidents: 'Termin zgłoszenia naruszenia',
    ops_alerts: 'Alerty operacyjne',
    subprocessors: 'Lista podmiotów przetwarzających',
  },
};

export const ORG_TRUST_MESSAGES: Record<Lang, OrgTrustMessages> = { en, de, pl };
