import type { Lang } from './messages.js';

/** The erasure page's words for the codes the erasure service returns. */
const en = {
  status: {
    pending_confirmation: 'Waiting for the person to confirm',
    confirmed: 'Confirmed, waiting to run',
    in_progress: 'In progress',
    completed: 'Completed',
    nothing_found: 'Completed: nothing was held about this person',
    flagged: 'Flagged for review',
    cancelled: 'Cancelled',
    held: 'Kept under a legal hold (erased when the hold ends)',
  } as Record<string, string>,
  check: { email_link: 'e-mailed link', sms_code: 'SMS code', organization: 'filed by the organisation' } as Record<string, string>,
  log: {
    identity: 'Identity check passed',
    verified: 'Verified',
    deadlineNote: 'The one-month deadline runs from verification.',
    holds: 'Legal holds',
    heldBy: 'Kept under a legal hold: {reason} (until {until})',
    heldErased: 'Erased after the hold ended, on {date}',
    indefinite: 'further notice',
  },
  counts: {
    calls_scrubbed: 'calls scrubbed',
    leads_deleted: 'leads deleted',
    transcripts_deleted: 'transcripts deleted',
    recordings_deleted: 'recordings deleted',
    consents_scrubbed: 'consent records scrubbed',
    provider_deletions_queued: 'deletions queued at the providers',
    organizations: 'organisations',
  } as Record<string, string>,
  receipt: { pending: 'pending', done: 'deleted', failed: 'failed, retried by the operator' } as Record<string, string>,
  resource: { recording: 'recording', conversation: 'conversation', agent: 'agent' } as Record<string, string>,
};
type ErasureMessages = typeof en;

const de: ErasureMessages = {
  status: {
    pending_confirmation: 'Wartet auf die Bestätigung der Person',
    confirmed: 'Bestätigt, wartet auf Ausführung',
    in_progress: 'In Bearbeitung',
    completed: 'Abgeschlossen',
    nothing_found: 'Abgeschlossen: über diese Person war nichts gespeichert',
    flagged: 'Zur Prüfung markiert',
    cancelled: 'Abgebrochen',
    held: 'Wegen einer Aufbewahrungssperre aufbewahrt (gelöscht, sobald sie endet)',
  },
  check: { email_link: 'E-Mail-Link', sms_code: 'SMS-Code', organization: 'von der Organisation gestellt' },
  log: {
    identity: 'Bestandene Identitätsprüfung',
    verified: 'Bestätigt am',
    deadlineNote: 'Die Monatsfrist läuft ab der Bestätigung.',
    holds: 'Aufbewahrungssperren',
    heldBy: 'Wegen einer Aufbewahrungssperre aufbewahrt: {reason} (bis {until})',
    heldErased: 'Nach Ende der Sperre gelöscht am {date}',
    indefinite: 'auf Weiteres',
  },
  counts: {
    calls_scrubbed: 'Anrufe bereinigt',
    leads_deleted: 'Leads gelöscht',
    transcripts_deleted: 'Transkripte gelöscht',
    recordings_deleted: 'Aufnahmen gelöscht',
    consents_scrubbed: 'Einwilligungsnachweise bereinigt',
    provider_deletions_queued: 'Löschungen bei den Anbietern eingeplant',
    organizations: 'Organisationen',
  },
  receipt: { pending: 'ausstehend', done: 'gelöscht', failed: 'fehlgeschlagen, wird vom Betreiber erneut versucht' },
  resource: { recording: 'Aufnahme', conversation: 'Gespräch', agent: 'Agent' },
};

const pl: ErasureMessages = {
  status: {
    pending_confirmation: 'Czeka na potwierdzenie przez osobę',
    confirmed: 'Potwierdzony, czeka na wykonanie',
    in_progress: 'W toku',
    completed: 'Zakończony',
    nothing_found: 'Zakończony: nie przechowywano danych tej osoby',
    flagged: 'Oznaczony do sprawdzenia',
    cancelled: 'Anulowany',
    held: 'Zachowane z powodu blokady prawnej (usunięte po jej zakończeniu)',
  },
  check: { email_link: 'link e-mailowy', sms_code: 'kod SMS', organization: 'złożony przez organizację' },
  log: {
    identity: 'Zaliczona weryfikacja tożsamości',
    verified: 'Zweryfikowano',
    deadlineNote: 'Miesięczny termin biegnie od weryfikacji.',
    holds: 'Blokady prawne',
    heldBy: 'Zachowane z powodu blokady prawnej: {reason} (do {until})',
    heldErased: 'Usunięte po zakończeniu blokady, {date}',
    indefinite: 'odwołania',
  },
  counts: {
    calls_scrubbed: 'oczyszczone połączenia',
    leads_deleted: 'usunięte leady',
    transcripts_deleted: 'usunięte transkrypcje',
    recordings_deleted: 'usunięte nagrania',
    consents_scrubbed: 'oczyszczone dowody zgody',
    provider_deletions_queued: 'usunięcia zlecone u dostawców',
    organizations: 'organizacje',
  },
  receipt: { pending: 'oczekuje', done: 'usunięte', failed: 'nieudane, operator ponowi próbę' },
  resource: { recording: 'nagranie', conversation: 'rozmowa', agent: 'agent' },
};

export const ERASURE_MESSAGES: Record<Lang, ErasureMessages> = { en, de, pl };

/** A code in words, or the code itself when it is new to this page. */
export function said(words: Record<string, string>, code: string): string {
  return words[code] ?? code;
}
