import type { Lang } from './messages.js';

/** The leads pages' texts (English defines the shape; German and Polish follow it). */
export const en = {
  leadsTitle: 'Leads',
  leadsIntro: 'The callers’ details your agents took down. Numbers are shortened in this list; open a lead to see it whole.',
  leadsAudited: 'Every time this page is opened, the activity log records who read these leads (their ids only, never a name or number).',
  noLeads: 'No leads yet.',
  created: 'Taken down',
  name: 'Name',
  phone: 'Phone number',
  email: 'E-mail address',
  notes: 'Notes',
  call: 'Call',
  openCall: 'Open the call',
  noCall: 'No call (it was deleted).',
  unnamed: 'No name given',
  anonymised: 'Anonymised',
  anonymisedOn: 'Anonymised on {date}: the retention window has passed.',
  notAnonymised: 'No',
  older: 'Older leads',
  newest: 'Newest leads',
  leadTitle: 'Lead',
  backToLeads: 'Back to the leads',
  updated: 'Last changed',
};

export type LeadsMessages = typeof en;

export const de: LeadsMessages = {
  leadsTitle: 'Leads',
  leadsIntro: 'Die Angaben der Anrufer, die Ihre Agenten aufgenommen haben. Nummern sind in dieser Liste gekürzt; öffnen Sie einen Lead, um sie ganz zu sehen.',
  leadsAudited: 'Jedes Öffnen dieser Seite hält im Aktivitätsprotokoll fest, wer diese Leads gelesen hat (nur ihre IDs, nie einen Namen oder eine Nummer).',
  noLeads: 'Noch keine Leads.',
  created: 'Aufgenommen',
  name: 'Name',
  phone: 'Telefonnummer',
  email: 'E-Mail-Adresse',
  notes: 'Notizen',
  call: 'Anruf',
  openCall: 'Anruf öffnen',
  noCall: 'Kein Anruf (er wurde gelöscht).',
  unnamed: 'Kein Name angegeben',
  anonymised: 'Anonymisiert',
  anonymisedOn: 'Anonymisiert am {date}: Die Aufbewahrungsfrist ist abgelaufen.',
  notAnonymised: 'Nein',
  older: 'Ältere Leads',
  newest: 'Neueste Leads',
  leadTitle: 'Lead',
  backToLeads: 'Zurück zu den Leads',
  updated: 'Zuletzt geändert',
};

export const pl: LeadsMessages = {
  leadsTitle: 'Leady',
  leadsIntro: 'Dane dzwoniących zapisane przez Twoich agentów. Numery są na tej liście skrócone; otwórz lead, aby zobaczyć cały numer.',
  leadsAudited: 'Każde otwarcie tej strony zapisuje w dzienniku aktywności, kto czytał te leady (tylko ich identyfikatory, nigdy imię ani numer).',
  noLeads: 'Brak leadów.',
  created: 'Zapisano',
  name: 'Imię i nazwisko',
  phone: 'Numer telefonu',
  email: 'Adres e-mail',
  notes: 'Notatki',
  call: 'Połączenie',
  openCall: 'Otwórz połączenie',
  noCall: 'Brak połączenia (zostało usunięte).',
  unnamed: 'Nie podano imienia',
  anonymised: 'Zanonimizowano',
  anonymisedOn: 'Zanonimizowano {date}: minął okres przechowywania.',
  notAnonymised: 'Nie',
  older: 'Starsze leady',
  newest: 'Najnowsze leady',
  leadTitle: 'Lead',
  backToLeads: 'Wróć do leadów',
  updated: 'Ostatnia zmiana',
};

export const LEADS_MESSAGES: Record<Lang, LeadsMessages> = { en, de, pl };
