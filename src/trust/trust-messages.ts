import type { Lang } from '../dashboard/messages.js';

/**
 * The texts of the public /trust page in English, German and Polish: the
 * page itself, what each control is, and every detail a check can report.
 *
 * A check's detail is a list of parts, each a stable code with its
 * parameters (`TrustCheck.details`); the English rendering of those parts is
 * the check's `detail` text, so the API's English text and the page in any
 * language come from the same place.
 */

export const CONTROL_IDS = [
  'rls_enabled', 'audit_append_only', 'audit_chain', 'retention', 'transcript_encryption', 'dtmf_consent', 'agent_platform',
  'erasure_requests', 'provider_deletions', 'recording_storage', 'incidents', 'ops_alerts', 'subprocessors',
] as const;
export type ControlId = (typeof CONTROL_IDS)[number];

type ControlTexts = Record<ControlId, { control: string; description: string }>;

/** What each control is, in plain language. */
export const CONTROL_TEXTS: Record<Lang, ControlTexts> = {
  en: {
    rls_enabled: { control: 'Tenant isolation in the database', description: 'Every table that holds personal data has PostgreSQL row-level security switched on, so the database itself, not only our code, keeps each organisation’s data apart.' },
    audit_append_only: { control: 'Unchangeable audit log', description: 'Database rules turn any change or deletion of the audit log into nothing, and emptying it is refused.' },
    audit_chain: { control: 'Tamper-evident audit log', description: 'Each organisation’s audit entries are linked by hashes. A job verifies every new entry within minutes and walks each chain again from its first entry in the background, so an entry altered or removed later is found too; we show up to which entry the chain was verified and when.' },
    retention: { control: 'Retention window enforced', description: 'Transcripts, recordings and caller details older than your chosen window (30, 90, 180 or 365 days) are deleted by a daily job; we show when it last ran and what it removed.' },
    transcript_encryption: { control: 'Transcript encryption', description: 'With encryption on, transcripts are stored encrypted with AES-256-GCM under keys only the backend holds; we show the share encrypted.' },
    dtmf_consent: { control: 'Keypad consent before recording', description: 'With the switch on, callers from Germany, Austria, Switzerland and Poland, or every caller if the organisation chooses, are asked to press 1 before anything is recorded; without consent nothing is recorded.' },
    agent_platform: { control: 'Agents in line at ElevenLabs', description: 'Every agent at ElevenLabs records no voice, carries the tool a caller uses to stop the recording mid-call, and keeps conversations no longer than your retention window. Changes are pushed at once and retried until ElevenLabs confirms them; this check fails while any agent there differs.' },
    erasure_requests: { control: 'Erasure requests answered in time', description: 'Requests to erase a person are worked through Twilio and ElevenLabs too, within one month (Art. 12(3)); we show their state.' },
    provider_deletions: { control: 'Deletions at Twilio and ElevenLabs', description: 'Every recording and conversation we must delete at Twilio or ElevenLabs (after a refused consent, the retention window, an erasure) is queued in the same transaction as the decision, and retried until the provider confirms it; we show how many wait, how many were given up for a person to look at, and how many were done in the last 30 days.' },
    recording_storage: { control: 'Recordings delivered to your own storage', description: 'With your own S3-compatible storage configured, each recording is uploaded there with its SHA-256 checked in transit and confirmed after the upload; only then is the copy at Twilio deleted. Failed uploads are retried with backoff; one given up after every retry fails this check and alerts the DPO and operations.' },
    incidents: { control: 'Breach notification clock', description: 'Open security incidents page the data-protection officer every 30 minutes until the supervisory authority has been told.' },
    ops_alerts: { control: 'Operational alerts', description: 'A job failing three runs in a row, a deletion at Twilio or ElevenLabs or a customer webhook delivery given up, an erasure request past its deadline: each e-mails the operations team once, and this check fails, naming the kind, until it clears. A job checks every minute.' },
    subprocessors: { control: 'Sub-processor list', description: 'The processors we use are listed publicly; new ones are announced 30 days ahead and customers may object.' },
  },
  de: {
    rls_enabled: { control: 'Trennung der Mandanten in der Datenbank', description: 'Jede Tabelle mit personenbezogenen Daten hat die Zeilensicherheit (Row-Level Security) von PostgreSQL eingeschaltet: So hält die Datenbank selbst, nicht nur unser Code, die Daten jeder Organisation getrennt.' },
    audit_append_only: { control: 'Unveränderliches Protokoll', description: 'Regeln in der Datenbank machen jede Änderung oder Löschung im Audit-Protokoll wirkungslos, und das Leeren des Protokolls wird abgelehnt.' },
    audit_chain: { control: 'Manipulationssicheres Protokoll', description: 'Die Audit-Einträge jeder Organisation sind durch Hashwerte miteinander verkettet. Ein Job prüft jeden neuen Eintrag innerhalb weniger Minuten und geht im Hintergrund jede Kette erneut ab ihrem ersten Eintrag durch, sodass auch ein später geänderter oder entfernter Eintrag entdeckt wird; wir zeigen, bis zu welchem Eintrag und wann die Kette geprüft wurde.' },
    retention: { control: 'Aufbewahrungsfrist durchgesetzt', description: 'Transkripte, Aufzeichnungen und Anruferdaten, die älter als die gewählte Frist sind (30, 90, 180 oder 365 Tage), löscht ein täglicher Job; wir zeigen, wann er zuletzt lief und was er gelöscht hat.' },
    transcript_encryption: { control: 'Verschlüsselung der Transkripte', description: 'Bei eingeschalteter Verschlüsselung werden Transkripte mit AES-256-GCM verschlüsselt gespeichert, mit Schlüsseln, die nur das Backend kennt; wir zeigen den verschlüsselten Anteil.' },
    dtmf_consent: { control: 'Einwilligung per Tastendruck vor der Aufnahme', description: 'Ist die Einstellung eingeschaltet, werden Anrufer aus Deutschland, Österreich, der Schweiz und Polen (oder, wenn die Organisation es so wählt, alle Anrufer) gebeten, die 1 zu drücken, bevor irgendetwas aufgezeichnet wird; ohne Einwilligung wird nichts aufgezeichnet.' },
    agent_platform: { control: 'Agenten bei ElevenLabs richtig eingestellt', description: 'Kein Agent bei ElevenLabs zeichnet die Stimme auf, jeder hat das Werkzeug, mit dem ein Anrufer die Aufzeichnung mitten im Gespräch beenden kann, und keiner bewahrt Gespräche länger auf als Ihre Aufbewahrungsfrist. Änderungen werden sofort übertragen und wiederholt, bis ElevenLabs sie bestätigt; solange dort ein Agent abweicht, schlägt diese Prüfung fehl.' },
    erasure_requests: { control: 'Löschanträge fristgerecht beantwortet', description: 'Anträge auf Löschung der Daten einer Person werden innerhalb eines Monats umgesetzt, auch bei Twilio und ElevenLabs (Art. 12 Abs. 3 DSGVO); wir zeigen ihren Stand.' },
    provider_deletions: { control: 'Löschungen bei Twilio und ElevenLabs', description: 'Jede Aufzeichnung und jedes Gespräch, das wir bei Twilio oder ElevenLabs löschen müssen (nach verweigerter Einwilligung, nach Ablauf der Aufbewahrungsfrist, nach einem Löschantrag), wird in derselben Transaktion wie die Entscheidung vorgemerkt und so lange erneut versucht, bis der Anbieter die Löschung bestätigt; wir zeigen, wie viele warten, wie viele aufgegeben wurden und von einem Menschen geprüft werden müssen und wie viele in den letzten 30 Tagen erledigt wurden.' },
    recording_storage: { control: 'Aufzeichnungen in Ihrem eigenen Speicher', description: 'Ist Ihr eigener S3-kompatibler Speicher eingerichtet, wird jede Aufzeichnung dorthin hochgeladen, ihr SHA-256-Wert bei der Übertragung geprüft und nach dem Hochladen bestätigt; erst dann wird die Kopie bei Twilio gelöscht. Fehlgeschlagene Uploads werden in wachsenden Abständen wiederholt; ein nach allen Versuchen aufgegebener Upload lässt diese Prüfung fehlschlagen und alarmiert den Datenschutzbeauftragten und den Betrieb.' },
    incidents: { control: 'Frist für Meldungen von Datenpannen', description: 'Solange ein Sicherheitsvorfall offen ist, wird der Datenschutzbeauftragte alle 30 Minuten alarmiert, bis die Aufsichtsbehörde informiert ist.' },
    ops_alerts: { control: 'Betriebswarnungen', description: 'Ein Job, der dreimal hintereinander fehlschlägt, eine aufgegebene Löschung bei Twilio oder ElevenLabs, eine aufgegebene Webhook-Zustellung an einen Kunden, ein Löschantrag nach Ablauf seiner Frist: Jeder dieser Fälle wird dem Betriebsteam einmal per E-Mail gemeldet, und diese Prüfung schlägt unter Nennung der Art fehl, bis er behoben ist. Ein Job prüft das jede Minute.' },
    subprocessors: { control: 'Liste der Unterauftragsverarbeiter', description: 'Die Auftragsverarbeiter, die wir einsetzen, sind öffentlich aufgeführt; neue werden 30 Tage im Voraus angekündigt, und Kunden können widersprechen.' },
  },
  pl: {
    rls_enabled: { control: 'Rozdzielenie organizacji w bazie danych', description: 'Każda tabela z danymi osobowymi ma włączone zabezpieczenia PostgreSQL na poziomie wierszy (row-level security), więc to sama baza danych, a nie tylko nasz kod, oddziela od siebie dane poszczególnych organizacji.' },
    audit_append_only: { control: 'Niezmienny dziennik zdarzeń', description: 'Reguły bazy danych sprawiają, że każda zmiana lub usunięcie wpisu w dzienniku zdarzeń nie ma żadnego skutku, a próba opróżnienia dziennika jest odrzucana.' },
    audit_chain: { control: 'Dziennik zdarzeń odporny na manipulacje', description: 'Wpisy dziennika zdarzeń każdej organizacji są powiązane ze sobą skrótami kryptograficznymi. Zadanie w ciągu kilku minut weryfikuje każdy nowy wpis, a w tle ponownie sprawdza każdy łańcuch od pierwszego wpisu, dzięki czemu wykrywa także wpis zmieniony lub usunięty później; pokazujemy, do którego wpisu i kiedy łańcuch został zweryfikowany.' },
    retention: { control: 'Przestrzegany okres przechowywania', description: 'Transkrypcje, nagrania i dane dzwoniących starsze niż wybrany okres (30, 90, 180 lub 365 dni) usuwa codzienne zadanie; pokazujemy, kiedy ostatnio się wykonało i co usunęło.' },
    transcript_encryption: { control: 'Szyfrowanie transkrypcji', description: 'Po włączeniu szyfrowania transkrypcje są przechowywane w postaci zaszyfrowanej algorytmem AES-256-GCM, kluczami dostępnymi wyłącznie dla backendu; pokazujemy, jaka ich część jest zaszyfrowana.' },
    dtmf_consent: { control: 'Zgoda klawiszem przed nagrywaniem', description: 'Gdy ustawienie jest włączone, dzwoniący z Niemiec, Austrii, Szwajcarii i Polski (albo wszyscy dzwoniący, jeśli organizacja tak zdecyduje) są proszeni o naciśnięcie 1, zanim cokolwiek zostanie nagrane; bez zgody nic nie jest nagrywane.' },
    agent_platform: { control: 'Agenci w ElevenLabs ustawieni zgodnie z zasadami', description: 'Żaden agent w ElevenLabs nie nagrywa głosu, każdy ma narzędzie, którym dzwoniący może zatrzymać nagrywanie w trakcie rozmowy, i żaden nie przechowuje rozmów dłużej niż wynosi Państwa okres przechowywania. Zmiany są wysyłane natychmiast i ponawiane, dopóki ElevenLabs ich nie potwierdzi; dopóki którykolwiek agent się różni, to sprawdzenie kończy się niepowodzeniem.' },
    erasure_requests: { control: 'Żądania usunięcia obsłużone w terminie', description: 'Wnioski o usunięcie danych osoby są realizowane w ciągu miesiąca, także w Twilio i ElevenLabs (art. 12 ust. 3 RODO); pokazujemy ich stan.' },
    provider_deletions: { control: 'Usuwanie danych w Twilio i ElevenLabs', description: 'Każde nagranie i każda rozmowa, które musimy usunąć w Twilio lub ElevenLabs (po odmowie zgody, po upływie okresu przechowywania, po wniosku o usunięcie), trafiają do kolejki w tej samej transakcji co decyzja i są ponawiane, dopóki dostawca nie potwierdzi usunięcia; pokazujemy, ile czeka, ile porzucono do sprawdzenia przez człowieka i ile wykonano w ostatnich 30 dniach.' },
    recording_storage: { control: 'Nagrania dostarczane do Państwa własnego magazynu', description: 'Jeśli skonfigurowano własny magazyn zgodny z S3, każde nagranie jest tam przesyłane, a jego skrót SHA-256 jest sprawdzany w trakcie przesyłania i potwierdzany po nim; dopiero wtedy kopia w Twilio jest usuwana. Nieudane przesyłanie jest ponawiane w rosnących odstępach; przesyłanie porzucone po wszystkich próbach powoduje niepowodzenie tego sprawdzenia i powiadomienie inspektora ochrony danych oraz zespołu operacyjnego.' },
    incidents: { control: 'Termin zgłoszenia naruszenia', description: 'Dopóki incydent bezpieczeństwa jest otwarty, inspektor ochrony danych jest powiadamiany co 30 minut, aż organ nadzorczy zostanie poinformowany.' },
    ops_alerts: { control: 'Alerty operacyjne', description: 'Zadanie, które zawiodło trzy razy z rzędu, porzucone usunięcie w Twilio lub ElevenLabs, porzucone doręczenie webhooka do klienta, wniosek o usunięcie po terminie: o każdym takim przypadku zespół operacyjny dostaje jednego e-maila, a to sprawdzenie kończy się niepowodzeniem, podając jego rodzaj, dopóki problem nie zniknie. Zadanie sprawdza to co minutę.' },
    subprocessors: { control: 'Lista podmiotów przetwarzających', description: 'Podmioty przetwarzające, z których korzystamy, są wymienione publicznie; nowe ogłaszamy z 30-dniowym wyprzedzeniem, a klienci mogą zgłosić sprzeciw.' },
  },
};

/** The jobs a check can name as not having run (their names in the job history). */
export type JobName = 'retention-purge' | 'ops-alerts' | 'audit-chain-verify';

const HOUR_S = 3600;
const LOCALE: Record<Lang, string> = { en: 'en-GB', de: 'de-DE', pl: 'pl-PL' };

/** A number with one decimal in the language's way ("1.5", "1,5"). */
const decimal = (lang: Lang, n: number) => (lang === 'en' ? n.toFixed(1) : n.toFixed(1).replace('.', ','));
/** How long ago, as the API has always said it in English ("12 min", "3.5 hours"). */
function duration(lang: Lang, seconds: number): string {
  if (seconds < 2 * HOUR_S) {
    const min = Math.max(0, Math.round(seconds / 60));
    return lang === 'de' ? `${min} Min.` : `${min} min`;
  }
  return hours(lang, seconds);
}
function hours(lang: Lang, seconds: number): string {
  const h = decimal(lang, seconds / HOUR_S);
  return lang === 'en' ? `${h} hours` : lang === 'de' ? `${h} Std.` : `${h} godz.`;
}
/** A moment: ISO 8601 in English (as the API always gave it), a readable UTC date and time in German and Polish. */
function moment(lang: Lang, iso: string): string {
  if (lang === 'en') return iso;
  return `${new Intl.DateTimeFormat(LOCALE[lang], { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' }).format(new Date(iso))} UTC`;
}
const cap = (s: string) => `${s.charAt(0).toUpperCase()}${s.slice(1)}`;

const JOBS: Record<Lang, Record<JobName, string>> = {
  en: { 'retention-purge': 'the daily purge (03:00 UTC)', 'ops-alerts': 'the alerts job (every minute)', 'audit-chain-verify': 'the verification job (every minute)' },
  de: { 'retention-purge': 'die tägliche Löschung (03:00 UTC)', 'ops-alerts': 'der Alarm-Job (jede Minute)', 'audit-chain-verify': 'der Prüf-Job (jede Minute)' },
  pl: { 'retention-purge': 'codzienne usuwanie danych (03:00 UTC)', 'ops-alerts': 'zadanie alertów (co minutę)', 'audit-chain-verify': 'zadanie weryfikacji (co minutę)' },
};

/** What the audit verification job last did for one organisation's chain. */
interface ChainJob {
  job_through: number | null;
  job_at: string | null;
  job_seconds_ago: number | null;
}
function byJob(lang: Lang, p: ChainJob): string {
  const ago = duration(lang, p.job_seconds_ago ?? 0);
  if (lang === 'de') return p.job_at ? `der Prüf-Job hat #1–#${p.job_through} am ${moment('de', p.job_at)} geprüft (vor ${ago})` : 'der Prüf-Job hat diese Kette noch nie geprüft';
  if (lang === 'pl') return p.job_at ? `zadanie weryfikacji sprawdziło #1–#${p.job_through}: ${moment('pl', p.job_at)} (${ago} temu)` : 'zadanie weryfikacji nigdy nie sprawdziło tego łańcucha';
  return p.job_at ? `the verification job verified #1–#${p.job_through} at ${p.job_at} (${ago} ago)` : 'the verification job has never verified this chain';
}

/** Every detail a check can report, in English: the parameters each takes are the API's `details[].params`. */
const en = {
  rls_off: (p: { tables: string }) => `Row-level security is OFF on: ${p.tables}.`,
  rls_on: (p: { tables: number }) => `Row-level security is on for all ${p.tables} personal-data tables.`,
  audit_guards_missing: (p: { missing: string }) => `Missing or disabled: ${p.missing}.`,
  audit_guards_ok: () => 'Rules prevent_audit_update and prevent_audit_delete and the TRUNCATE trigger are in place.',
  job_pending: (p: { job: JobName; installed_seconds_ago: number }) =>
    `Not yet run: ${JOBS.en[p.job]} has not run since this installation began ${duration('en', p.installed_seconds_ago)} ago.`,
  job_never_ran: (p: { job: JobName; installed_seconds_ago: number }) =>
    `${cap(JOBS.en[p.job])} has never run in the ${duration('en', p.installed_seconds_ago)} since this installation began: it is not running.`,
  purge_finished: (p: { seconds_ago: number; late: boolean }) =>
    `The daily purge last finished ${hours('en', p.seconds_ago)} ago${p.late ? ' — more than two days: it is not running' : ''}.`,
  purge_never_completed: (p: { failed_at: string }) => `The purge has never completed: its last run failed at ${p.failed_at}.`,
  chains_wait_first_run: (p: { chains: number; entries: number }) => `${p.chains} audit chain(s), ${p.entries} entries, wait for its first run.`,
  chains_broken: (p: { broken: number; chains: number }) => `${p.broken} of ${p.chains} organisations' audit chains are broken: an entry was altered or removed.`,
  chains_lagging: (p: { lagging: number; chains: number; max_minutes: number }) =>
    `${p.lagging} of ${p.chains} audit chains have entries the verification job has not verified for more than ${p.max_minutes} minutes: it is not running.`,
  chains_verified: (p: { chains: number; entries: number }) => `All ${p.chains} audit chains (${p.entries} entries) verify up to the job's last run.`,
  chains_last_verified: (p: { at: string }) => `The verification job last confirmed a chain at ${p.at}.`,
  no_audit_entries: () => 'No audit entries yet.',
  encryption_nowhere: () => 'No organisation has switched transcript encryption on.',
  encryption_share: (p: { encrypted: number; total: number; organisations: number }) =>
    `${p.encrypted} of ${p.total} transcripts of the ${p.organisations} organisation(s) with encryption on are encrypted${p.encrypted === p.total ? '' : ': some are stored in plain text'}.`,
  agents_out_of_line: (p: { out_of_line: number; agents: number; failing: number }) =>
    `${p.out_of_line} of ${p.agents} agent(s) not yet confirmed at ElevenLabs with their organisation's settings${p.failing ? `; ${p.failing} failing, retried with backoff` : ''}.`,
  agents_confirmed: (p: { agents: number }) =>
    `All ${p.agents} agent(s) confirmed at ElevenLabs: no voice recording, the stop-recording tool, their organisation's retention window.`,
  erasures_late: (p: { overdue: number; flagged: number; open: number }) => `${p.overdue} overdue and ${p.flagged} flagged erasure request(s), of ${p.open} open.`,
  erasures_ok: (p: { open: number; completed: number }) => `No erasure request is overdue or stuck: ${p.open} open, ${p.completed} completed.`,
  deletions_given_up: (p: { failed: number }) => `${p.failed} deletion(s) at the providers were given up after repeated errors and wait for a person.`,
  deletions_none_given_up: () => 'No deletion at the providers has been given up.',
  deletions_waiting: (p: { pending: number; oldest_hours: number; late: boolean }) =>
    `${p.pending} waiting, the oldest for ${p.oldest_hours.toFixed(1)} hours${p.late ? ' — more than two days: the deletions job is not running' : ''}.`,
  deletions_none_waiting: () => 'None waiting.',
  deletions_done: (p: { done: number }) => `${p.done} done in the last 30 days.`,
  alerts_open: (p: { open: number; kinds: string; since: string }) =>
    `${p.open} alert condition(s) open: ${p.kinds}; the oldest since ${p.since}. The operations team has been e-mailed.`,
  alerts_job_not_running: (p: { seconds_ago: number }) => `The alerts job last ran ${duration('en', p.seconds_ago)} ago: it is not running.`,
  alerts_job_stopped: (p: { seconds_ago: number; max_minutes: number }) =>
    `The alerts job last ran ${duration('en', p.seconds_ago)} ago — more than ${p.max_minutes} min: it is not running, so no alert would be raised.`,
  alerts_none: (p: { seconds_ago: number }) => `No alert condition is open; the alerts job last checked ${duration('en', p.seconds_ago)} ago.`,
  subprocessor_list: (p: { version: string; live: number; announced: number }) => `List version ${p.version}: ${p.live} in use, ${p.announced} announced.`,
  // The checks of one organisation (GET /api/orgs/:orgId/trust and the dashboard).
  retention_window: (p: { days: number }) => `Window ${p.days} days;`,
  encryption_org: (p: { percent: number; total: number }) => `${p.percent.toFixed(1)} % of ${p.total} transcripts are encrypted.`,
  encryption_org_off: (p: { encrypted: number; total: number }) => `Encryption is off for this organisation (${p.encrypted} of ${p.total} transcripts encrypted from earlier).`,
  dtmf_off: () => 'Off: no keypad consent prompt; every call is recorded without asking first.',
  dtmf_all_callers: () => 'On, for every caller: each caller is asked in their language before anything is recorded, and nothing is recorded without consent.',
  dtmf_listed_countries: () => 'On, for callers from DE, AT, CH and PL: they are asked before anything is recorded; calls from other countries are recorded without asking first.',
  agents_out_of_line_org: (p: { out_of_line: number; agents: number; failing: number }) =>
    `${p.out_of_line} of ${p.agents} agent(s) not yet confirmed at the agent platform with this organisation's settings${p.failing ? `; ${p.failing} failing, retried with backoff` : ''}.`,
  agents_confirmed_org: (p: { agents: number; days: number }) => `All ${p.agents} agent(s) confirmed: no voice recording, the stop-recording tool, a ${p.days}-day window.`,
  erasures_late_org: (p: { overdue: number; flagged: number }) => `${p.overdue} overdue and ${p.flagged} flagged erasure request(s).`,
  erasures_ok_org: () => 'No erasure request is overdue or stuck.',
  incidents_open: (p: { open: number; stale: number; max_minutes: number }) =>
    `${p.open} open incident(s) affecting this organisation; ${p.stale ? `${p.stale} not paged in the last ${p.max_minutes} minutes` : 'the DPO is being paged'}.`,
  incidents_none: () => 'No open incident affects this organisation.',
  recordings_failed: (p: { failed: number; delivered: number; pending: number }) =>
    `${p.failed} recording(s) could not be delivered to your storage after every retry; Twilio's copy is kept until they are. ${p.delivered} delivered, ${p.pending} waiting.`,
  recordings_ok: (p: { delivered: number; pending: number; configured: boolean }) =>
    `${p.delivered} recording(s) delivered and confirmed by SHA-256; ${p.pending} waiting${p.configured ? '' : ' (no storage is configured now)'}.`,
  chain_broken: (p: { entry: number; problem: string; found_at: string | null }) =>
    `The audit chain is broken at entry #${p.entry} (${p.problem})${p.found_at ? `, found by the verification job at ${p.found_at}` : ''}.`,
  chain_checked_here: (p: { through: number; entries: number; pending: number }) => `Entries #1–#${p.through} of ${p.entries} verify (this check); ${p.pending} wait for the job.`,
  chain_stale: (p: ChainJob & { pending: number; max_minutes: number }) =>
    `${p.pending} audit entries are not verified yet, and ${byJob('en', p)}${p.job_at ? ` — more than ${p.max_minutes} min ago: it is not running` : ''}.`,
  chain_verified_org: (p: ChainJob & { through: number; entries: number; checked_from: number | null; pending: number }) =>
    `Entries #1–#${p.through} of ${p.entries} verify: ${byJob('en', p)}${p.checked_from ? `, this check #${p.checked_from}–#${p.through}` : ''}${p.pending ? `; ${p.pending} newer entries wait for its next run` : ''}.`,
  chain_full_verified: (p: { at: string; through: number }) => `Last complete re-verification from #1: started ${p.at}, up to #${p.through}.`,
  chain_never_fully_verified: () => 'No complete re-verification from #1 yet.',
};

type DetailTexts = typeof en;
export type DetailCode = keyof DetailTexts;
/** Every detail code there is. */
export const DETAIL_CODES = Object.keys(en) as DetailCode[];
type ParamsOf<K extends DetailCode> = Parameters<DetailTexts[K]> extends [infer P] ? P : Record<string, never>;
/** One sentence of a check's detail: a stable code and its parameters (numbers, strings, ISO timestamps, booleans, null for none). */
export type DetailPart = { [K in DetailCode]: { code: K; params: ParamsOf<K> } }[DetailCode];

/** A detail part (`params` may be left out for codes without any). */
export function part<K extends DetailCode>(code: K, ...params: ParamsOf<K> extends Record<string, never> ? [] : [ParamsOf<K>]): DetailPart {
  return { code, params: params[0] ?? {} } as DetailPart;
}

/** German plural: `one` for 1, else `other`. */
const deN = (n: number, one: string, other: string) => (n === 1 ? one : other);

const de: DetailTexts = {
  rls_off: (p) => `Die Zeilensicherheit ist AUSGESCHALTET bei: ${p.tables}.`,
  rls_on: (p) => `Die Zeilensicherheit ist für alle ${p.tables} Tabellen mit personenbezogenen Daten eingeschaltet.`,
  audit_guards_missing: (p) => `Fehlt oder ist abgeschaltet: ${p.missing}.`,
  audit_guards_ok: () => 'Die Regeln prevent_audit_update und prevent_audit_delete und der TRUNCATE-Trigger sind vorhanden.',
  // The state ("Noch nicht gelaufen") is said right before: the detail does not repeat it.
  job_pending: (p) => `Diese Installation besteht seit ${duration('de', p.installed_seconds_ago)}, und ${JOBS.de[p.job]} ist seitdem noch nicht gelaufen.`,
  job_never_ran: (p) =>
    `${cap(JOBS.de[p.job])} ist in den ${duration('de', p.installed_seconds_ago)} seit Beginn dieser Installation kein einziges Mal gelaufen und läuft demnach nicht.`,
  purge_finished: (p) =>
    `Die tägliche Löschung wurde zuletzt vor ${hours('de', p.seconds_ago)} abgeschlossen.${p.late ? ' Das ist mehr als zwei Tage her: Die Löschung läuft nicht.' : ''}`,
  purge_never_completed: (p) => `Die Löschung wurde noch nie vollständig abgeschlossen: Der letzte Lauf schlug am ${moment('de', p.failed_at)} fehl.`,
  chains_wait_first_run: (p) => `${p.chains} ${deN(p.chains, 'Audit-Kette', 'Audit-Ketten')} mit zusammen ${p.entries} Einträgen ${deN(p.chains, 'wartet', 'warten')} auf seinen ersten Lauf.`,
  chains_broken: (p) => `Bei ${p.broken} von ${p.chains} Organisationen ist die Audit-Kette unterbrochen: Ein Eintrag wurde geändert oder entfernt.`,
  chains_lagging: (p) =>
    `${p.lagging} von ${p.chains} Audit-Ketten ${deN(p.lagging, 'hat', 'haben')} Einträge, die der Prüf-Job seit mehr als ${p.max_minutes} Minuten nicht geprüft hat: Der Job läuft nicht.`,
  chains_verified: (p) => `Alle Audit-Ketten (${p.chains}, zusammen ${p.entries} Einträge) sind bis zum letzten Lauf des Prüf-Jobs bestätigt.`,
  chains_last_verified: (p) => `Der Prüf-Job hat zuletzt am ${moment('de', p.at)} eine Kette bestätigt.`,
  no_audit_entries: () => 'Noch keine Audit-Einträge.',
  encryption_nowhere: () => 'Keine Organisation hat die Verschlüsselung der Transkripte eingeschaltet.',
  encryption_share: (p) =>
    `${p.encrypted} von ${p.total} Transkripten ${deN(p.organisations, 'der Organisation', `der ${p.organisations} Organisationen`)} mit eingeschalteter Verschlüsselung sind verschlüsselt${p.encrypted === p.total ? '' : ': Einige sind im Klartext gespeichert'}.`,
  agents_out_of_line: (p) =>
    `${p.out_of_line} von ${p.agents} Agenten ${deN(p.out_of_line, 'ist', 'sind')} bei ElevenLabs noch nicht mit den Einstellungen ihrer Organisation bestätigt${p.failing ? `; bei ${p.failing} schlägt es fehl, und es wird in wachsenden Abständen wiederholt` : ''}.`,
  agents_confirmed: (p) =>
    `Alle Agenten bei ElevenLabs (${p.agents}) sind bestätigt: keine Sprachaufzeichnung, das Werkzeug zum Beenden der Aufzeichnung, die Aufbewahrungsfrist ihrer Organisation.`,
  erasures_late: (p) => `Von ${p.open} offenen Löschanträgen ${deN(p.overdue, 'ist', 'sind')} ${p.overdue} überfällig und ${p.flagged} zur Prüfung markiert.`,
  erasures_ok: (p) => `Kein Löschantrag ist überfällig oder hängt fest: ${p.open} offen, ${p.completed} erledigt.`,
  deletions_given_up: (p) =>
    p.failed === 1
      ? 'Eine Löschung bei den Anbietern wurde nach wiederholten Fehlern aufgegeben und wartet auf einen Menschen.'
      : `${p.failed} Löschungen bei den Anbietern wurden nach wiederholten Fehlern aufgegeben und warten auf einen Menschen.`,
  deletions_none_given_up: () => 'Keine Löschung bei den Anbietern wurde aufgegeben.',
  deletions_waiting: (p) =>
    `${p.pending} ${deN(p.pending, 'Löschung wartet', 'Löschungen warten')}, die älteste seit ${hours('de', p.oldest_hours * HOUR_S)}${p.late ? ' Das ist mehr als zwei Tage: Der Lösch-Job läuft nicht.' : ''}`,
  deletions_none_waiting: () => 'Keine Löschung wartet.',
  deletions_done: (p) => `${p.done} in den letzten 30 Tagen erledigt.`,
  alerts_open: (p) =>
    `Offene Alarmbedingungen: ${p.open} (${p.kinds}), die älteste seit ${moment('de', p.since)}. Das Betriebsteam wurde per E-Mail benachrichtigt.`,
  alerts_job_not_running: (p) => `Der Alarm-Job lief zuletzt vor ${duration('de', p.seconds_ago)} und läuft demnach nicht.`,
  alerts_job_stopped: (p) =>
    `Der Alarm-Job lief zuletzt vor ${duration('de', p.seconds_ago)}, also vor mehr als ${p.max_minutes} Minuten: Er läuft nicht, und kein Alarm würde ausgelöst.`,
  alerts_none: (p) => `Keine Alarmbedingung ist offen; der Alarm-Job hat zuletzt vor ${duration('de', p.seconds_ago)} geprüft.`,
  subprocessor_list: (p) => `Listenversion ${p.version}: ${p.live} im Einsatz, ${p.announced} angekündigt.`,
  retention_window: (p) => `Aufbewahrungsfrist ${p.days} Tage.`,
  encryption_org: (p) => `${decimal('de', p.percent)} % von ${p.total} Transkripten sind verschlüsselt.`,
  encryption_org_off: (p) => `Die Verschlüsselung ist für diese Organisation ausgeschaltet (${p.encrypted} von ${p.total} Transkripten sind von früher verschlüsselt).`,
  dtmf_off: () => 'Aus: keine Abfrage per Tastendruck; jeder Anruf wird ohne vorherige Nachfrage aufgezeichnet.',
  dtmf_all_callers: () => 'Ein, für alle Anrufer: Jeder Anrufer wird in seiner Sprache gefragt, bevor irgendetwas aufgezeichnet wird, und ohne Einwilligung wird nichts aufgezeichnet.',
  dtmf_listed_countries: () => 'Ein, für Anrufer aus DE, AT, CH und PL: Sie werden gefragt, bevor irgendetwas aufgezeichnet wird; Anrufe aus anderen Ländern werden ohne vorherige Nachfrage aufgezeichnet.',
  agents_out_of_line_org: (p) =>
    `${p.out_of_line} von ${p.agents} Agenten ${deN(p.out_of_line, 'ist', 'sind')} auf der Agentenplattform noch nicht mit den Einstellungen dieser Organisation bestätigt${p.failing ? `; bei ${p.failing} schlägt es fehl, und es wird in wachsenden Abständen wiederholt` : ''}.`,
  agents_confirmed_org: (p) => `Alle Agenten (${p.agents}) sind bestätigt: keine Sprachaufzeichnung, das Werkzeug zum Beenden der Aufzeichnung, eine Frist von ${p.days} Tagen.`,
  erasures_late_org: (p) => `Überfällige Löschanträge: ${p.overdue}, zur Prüfung markierte: ${p.flagged}.`,
  erasures_ok_org: () => 'Kein Löschantrag ist überfällig oder hängt fest.',
  incidents_open: (p) =>
    `Offene Sicherheitsvorfälle, die diese Organisation betreffen: ${p.open}; ${p.stale ? `bei ${p.stale} wurde in den letzten ${p.max_minutes} Minuten nicht alarmiert` : 'der Datenschutzbeauftragte wird alarmiert'}.`,
  incidents_none: () => 'Kein offener Sicherheitsvorfall betrifft diese Organisation.',
  recordings_failed: (p) =>
    `${p.failed} ${deN(p.failed, 'Aufzeichnung konnte', 'Aufzeichnungen konnten')} auch nach allen Versuchen nicht in Ihren Speicher übertragen werden; die Kopie bei Twilio bleibt, bis das gelingt. ${p.delivered} übertragen, ${p.pending} wartend.`,
  recordings_ok: (p) =>
    `${p.delivered} ${deN(p.delivered, 'Aufzeichnung', 'Aufzeichnungen')} übertragen und per SHA-256 bestätigt; ${p.pending} wartend${p.configured ? '' : ' (derzeit ist kein Speicher eingerichtet)'}.`,
  chain_broken: (p) => `Die Audit-Kette ist bei Eintrag #${p.entry} unterbrochen (${p.problem})${p.found_at ? `, entdeckt vom Prüf-Job am ${moment('de', p.found_at)}` : ''}.`,
  chain_checked_here: (p) => `Die Einträge #1–#${p.through} von ${p.entries} sind bestätigt (diese Prüfung); ${p.pending} warten auf den Prüf-Job.`,
  chain_stale: (p) =>
    `${p.pending} Audit-Einträge sind noch nicht geprüft, und ${byJob('de', p)}${p.job_at ? ` – vor mehr als ${p.max_minutes} Minuten: Er läuft nicht` : ''}.`,
  chain_verified_org: (p) =>
    `Die Einträge #1–#${p.through} von ${p.entries} sind bestätigt: ${byJob('de', p)}${p.checked_from ? `, diese Prüfung #${p.checked_from}–#${p.through}` : ''}${p.pending ? `; ${p.pending} neuere Einträge warten auf seinen nächsten Lauf` : ''}.`,
  chain_full_verified: (p) => `Letzte vollständige Neuprüfung ab #1: begonnen am ${moment('de', p.at)}, bis #${p.through}.`,
  chain_never_fully_verified: () => 'Noch keine vollständige Neuprüfung ab #1.',
};

const pl: DetailTexts = {
  rls_off: (p) => `Zabezpieczenia na poziomie wierszy są WYŁĄCZONE w tabelach: ${p.tables}.`,
  rls_on: (p) => `Zabezpieczenia na poziomie wierszy są włączone we wszystkich tabelach z danymi osobowymi (${p.tables}).`,
  audit_guards_missing: (p) => `Brakuje lub wyłączono: ${p.missing}.`,
  audit_guards_ok: () => 'Reguły prevent_audit_update i prevent_audit_delete oraz wyzwalacz TRUNCATE są na miejscu.',
  job_pending: (p) => `${cap(JOBS.pl[p.job])} nie zostało jeszcze wykonane od uruchomienia tej instalacji ${duration('pl', p.installed_seconds_ago)} temu.`,
  job_never_ran: (p) =>
    `${cap(JOBS.pl[p.job])} nie zostało wykonane ani razu w ciągu ${duration('pl', p.installed_seconds_ago)} od uruchomienia tej instalacji: nie działa.`,
  purge_finished: (p) =>
    `Codzienne usuwanie danych ostatnio zakończyło się ${hours('pl', p.seconds_ago)} temu.${p.late ? ' To ponad dwa dni: usuwanie nie działa.' : ''}`,
  purge_never_completed: (p) => `Usuwanie danych nigdy nie zakończyło się pomyślnie; ostatnie wykonanie nie powiodło się: ${moment('pl', p.failed_at)}.`,
  chains_wait_first_run: (p) => `Łańcuchy dziennika zdarzeń czekające na pierwsze wykonanie zadania: ${p.chains} (wpisy: ${p.entries}).`,
  chains_broken: (p) => `Przerwane łańcuchy dziennika zdarzeń: ${p.broken} z ${p.chains} organizacji; jakiś wpis został zmieniony lub usunięty.`,
  chains_lagging: (p) =>
    `Łańcuchy dziennika zdarzeń z wpisami, których zadanie weryfikacji nie sprawdziło od ponad ${p.max_minutes} minut: ${p.lagging} z ${p.chains}; zadanie nie działa.`,
  chains_verified: (p) => `Wszystkie łańcuchy dziennika zdarzeń (${p.chains}, wpisy: ${p.entries}) są zweryfikowane do ostatniego wykonania zadania.`,
  chains_last_verified: (p) => `Ostatnie potwierdzenie łańcucha przez zadanie weryfikacji: ${moment('pl', p.at)}.`,
  no_audit_entries: () => 'Brak wpisów w dzienniku zdarzeń.',
  encryption_nowhere: () => 'Żadna organizacja nie włączyła szyfrowania transkrypcji.',
  encryption_share: (p) =>
    `Zaszyfrowane transkrypcje organizacji z włączonym szyfrowaniem (${p.organisations}): ${p.encrypted} z ${p.total}${p.encrypted === p.total ? '' : '; część jest przechowywana jako zwykły tekst'}.`,
  agents_out_of_line: (p) =>
    `Agenci jeszcze niepotwierdzeni w ElevenLabs z ustawieniami swojej organizacji: ${p.out_of_line} z ${p.agents}${p.failing ? `; z błędem, ponawiani w rosnących odstępach: ${p.failing}` : ''}.`,
  agents_confirmed: (p) =>
    `Wszyscy agenci w ElevenLabs (${p.agents}) są potwierdzeni: bez nagrywania głosu, z narzędziem do zatrzymania nagrywania, z okresem przechowywania swojej organizacji.`,
  erasures_late: (p) => `Wnioski o usunięcie po terminie: ${p.overdue}, oznaczone do sprawdzenia: ${p.flagged} (wszystkich otwartych: ${p.open}).`,
  erasures_ok: (p) => `Żaden wniosek o usunięcie nie jest po terminie ani nie utknął (otwarte: ${p.open}, zrealizowane: ${p.completed}).`,
  deletions_given_up: (p) => `Usunięcia u dostawców porzucone po powtarzających się błędach, czekające na człowieka: ${p.failed}.`,
  deletions_none_given_up: () => 'Żadne usunięcie u dostawców nie zostało porzucone.',
  deletions_waiting: (p) =>
    `Oczekujące usunięcia: ${p.pending}; najstarsze czeka ${hours('pl', p.oldest_hours * HOUR_S)}${p.late ? ' To ponad dwa dni: zadanie usuwania nie działa.' : ''}`,
  deletions_none_waiting: () => 'Żadne usunięcie nie czeka.',
  deletions_done: (p) => `Wykonane w ostatnich 30 dniach: ${p.done}.`,
  alerts_open: (p) => `Otwarte alerty: ${p.open} (${p.kinds}); najstarszy od ${moment('pl', p.since)}. Zespół operacyjny został powiadomiony e-mailem.`,
  alerts_job_not_running: (p) => `Zadanie alertów ostatnio wykonało się ${duration('pl', p.seconds_ago)} temu: nie działa.`,
  alerts_job_stopped: (p) =>
    `Zadanie alertów ostatnio wykonało się ${duration('pl', p.seconds_ago)} temu, czyli ponad ${p.max_minutes} minut temu: nie działa, więc żaden alert nie zostałby wysłany.`,
  alerts_none: (p) => `Brak otwartych alertów; zadanie alertów ostatnio sprawdzało ${duration('pl', p.seconds_ago)} temu.`,
  subprocessor_list: (p) => `Wersja listy ${p.version}: w użyciu – ${p.live}, zapowiedziane – ${p.announced}.`,
  retention_window: (p) => `Okres przechowywania: ${p.days} dni.`,
  encryption_org: (p) => `Zaszyfrowane transkrypcje: ${decimal('pl', p.percent)} % z ${p.total}.`,
  encryption_org_off: (p) => `Szyfrowanie jest wyłączone dla tej organizacji (transkrypcje zaszyfrowane wcześniej: ${p.encrypted} z ${p.total}).`,
  dtmf_off: () => 'Wyłączone: bez pytania o zgodę klawiszem; każde połączenie jest nagrywane bez wcześniejszego pytania.',
  dtmf_all_callers: () => 'Włączone, dla wszystkich dzwoniących: każdy jest pytany w swoim języku, zanim cokolwiek zostanie nagrane, a bez zgody nic nie jest nagrywane.',
  dtmf_listed_countries: () => 'Włączone, dla dzwoniących z DE, AT, CH i PL: są pytani, zanim cokolwiek zostanie nagrane; połączenia z innych krajów są nagrywane bez wcześniejszego pytania.',
  agents_out_of_line_org: (p) =>
    `Agenci jeszcze niepotwierdzeni na platformie agentów z ustawieniami tej organizacji: ${p.out_of_line} z ${p.agents}${p.failing ? `; z błędem, ponawiani w rosnących odstępach: ${p.failing}` : ''}.`,
  agents_confirmed_org: (p) => `Wszyscy agenci (${p.agents}) są potwierdzeni: bez nagrywania głosu, z narzędziem do zatrzymania nagrywania, z okresem przechowywania ${p.days} dni.`,
  erasures_late_org: (p) => `Wnioski o usunięcie po terminie: ${p.overdue}, oznaczone do sprawdzenia: ${p.flagged}.`,
  erasures_ok_org: () => 'Żaden wniosek o usunięcie nie jest po terminie ani nie utknął.',
  incidents_open: (p) =>
    `Otwarte incydenty dotyczące tej organizacji: ${p.open}; ${p.stale ? `bez powiadomienia w ostatnich ${p.max_minutes} minutach: ${p.stale}` : 'inspektor ochrony danych jest powiadamiany'}.`,
  incidents_none: () => 'Żaden otwarty incydent nie dotyczy tej organizacji.',
  recordings_failed: (p) =>
    `Nagrania, których mimo wszystkich prób nie udało się dostarczyć do Państwa magazynu: ${p.failed}; kopia w Twilio jest przechowywana do czasu dostarczenia. Dostarczone: ${p.delivered}, oczekujące: ${p.pending}.`,
  recordings_ok: (p) =>
    `Nagrania dostarczone i potwierdzone skrótem SHA-256: ${p.delivered}; oczekujące: ${p.pending}${p.configured ? '' : ' (obecnie nie skonfigurowano magazynu)'}.`,
  chain_broken: (p) => `Łańcuch dziennika zdarzeń jest przerwany przy wpisie #${p.entry} (${p.problem})${p.found_at ? `; wykryło to zadanie weryfikacji: ${moment('pl', p.found_at)}` : ''}.`,
  chain_checked_here: (p) => `Wpisy #1–#${p.through} z ${p.entries} są zweryfikowane (to sprawdzenie); na zadanie czeka: ${p.pending}.`,
  chain_stale: (p) =>
    `Niezweryfikowane jeszcze wpisy dziennika zdarzeń: ${p.pending}; ${byJob('pl', p)}${p.job_at ? ` – ponad ${p.max_minutes} minut temu: zadanie nie działa` : ''}.`,
  chain_verified_org: (p) =>
    `Wpisy #1–#${p.through} z ${p.entries} są zweryfikowane: ${byJob('pl', p)}${p.checked_from ? `, to sprawdzenie #${p.checked_from}–#${p.through}` : ''}${p.pending ? `; nowsze wpisy czekające na następne wykonanie zadania: ${p.pending}` : ''}.`,
  chain_full_verified: (p) => `Ostatnia pełna ponowna weryfikacja od #1: rozpoczęta ${moment('pl', p.at)}, do #${p.through}.`,
  chain_never_fully_verified: () => 'Nie było jeszcze pełnej ponownej weryfikacji od #1.',
};

const DETAILS: Record<Lang, DetailTexts> = { en, de, pl };

/** A check's detail parts as text in one language: the sentences one after another. */
export function detailText(lang: Lang, parts: readonly DetailPart[]): string {
  const texts = parts.map((p) => (DETAILS[lang][p.code] as (params: unknown) => string)(p.params));
  // A sentence ending in ';' ("Window 30 days;") goes on in the next part, which then starts in lower case.
  return texts.map((t, i) => (i > 0 && texts[i - 1]!.endsWith(';') ? `${t.charAt(0).toLowerCase()}${t.slice(1)}` : t)).join(' ');
}

/** The /trust page's own texts. */
const page = {
  en: {
    title: 'Trust controls',
    /** The h1: the title, with soft hyphens where a long word needs them on a 375 px screen. */
    heading: 'Trust controls',
    switchLabel: 'Language',
    intro: (seconds: number) =>
      `How this service protects the personal data of the people who call our customers’ agents. The results below are not written in advance: they are read from the database and the job history, for every organisation at once (as counts; no organisation is named), and refreshed at most once every ${seconds} seconds.`,
    failing: (failing: number, total: number) => `${failing} of ${total} checks failing.`,
    noneFailing: (total: number) => `No check is failing (${total} checks).`,
    pending: (n: number) => `${n} not yet run: their job has not run since this installation began.`,
    checked: 'Checked',
    liveResults: 'Live results',
    state: { pass: 'Passing', fail: 'Failing', info: 'For information', pending: 'Not yet run' },
    perOrganisation:
      'Keypad consent and open security incidents are checked for each organisation only: the first is each organisation’s own setting, and an incident is reported to the organisations it affects and to the supervisory authority, not announced here.',
    /** Before, the emphasised words, after. */
    notYetRun: ['A check is ', 'not yet run', ' when the job it reads has not run yet on a new installation (the daily purge, for instance, first runs at 03:00 UTC); once that run is overdue, the check fails instead.'],
    howTitle: 'How the controls work',
    /** Before the API path, between it and the link, the link, after. */
    ownChecks: ['Each customer sees these checks for their own organisation in the dashboard, and at ', '. See also the ', 'sub-processor list', '.'],
    apiPath: 'GET /api/orgs/<organisation id>/trust',
  },
  de: {
    title: 'Vertrauenskontrollen',
    heading: 'Vertrauens\u00adkontrollen',
    switchLabel: 'Sprache',
    intro: (seconds: number) =>
      `Wie dieser Dienst die personenbezogenen Daten der Menschen schützt, die bei den Agenten unserer Kunden anrufen. Die Ergebnisse unten sind nicht vorab geschrieben: Sie werden aus der Datenbank und dem Verlauf der Jobs gelesen, für alle Organisationen zugleich (als Zahlen; keine Organisation wird genannt), und höchstens alle ${seconds} Sekunden aufgefrischt.`,
    failing: (failing: number, total: number) => `${failing} von ${total} Prüfungen ${deN(failing, 'schlägt', 'schlagen')} fehl.`,
    noneFailing: (total: number) => `Keine Prüfung schlägt fehl (${total} Prüfungen).`,
    pending: (n: number) => `Bei ${n} ${deN(n, 'Prüfung', 'Prüfungen')} steht das Ergebnis noch aus, weil der zugehörige Job seit Beginn dieser Installation noch nicht gelaufen ist.`,
    checked: 'Geprüft am',
    liveResults: 'Aktuelle Ergebnisse',
    state: { pass: 'Erfüllt', fail: 'Nicht erfüllt', info: 'Zur Information', pending: 'Noch nicht gelaufen' },
    perOrganisation:
      'Die Einwilligung per Tastendruck und offene Sicherheitsvorfälle werden nur je Organisation geprüft: Die Einwilligung ist eine Einstellung jeder Organisation, und ein Vorfall wird den betroffenen Organisationen und der Aufsichtsbehörde gemeldet, nicht hier bekannt gemacht.',
    notYetRun: ['Eine Prüfung ist ', 'noch nicht gelaufen', ', wenn der Job, dessen Ergebnisse sie liest, auf einer neuen Installation noch nicht gelaufen ist (die tägliche Löschung zum Beispiel läuft zum ersten Mal um 03:00 UTC); ist dieser Lauf überfällig, schlägt die Prüfung stattdessen fehl.'],
    howTitle: 'So funktionieren die Kontrollen',
    ownChecks: ['Jeder Kunde sieht diese Prüfungen für die eigene Organisation im Dashboard und unter ', '. Siehe auch die ', 'Liste der Unterauftragsverarbeiter', '.'],
    apiPath: 'GET /api/orgs/<Organisations-ID>/trust',
  },
  pl: {
    title: 'Mechanizmy zaufania',
    heading: 'Mechanizmy zaufania',
    switchLabel: 'Język',
    intro: (seconds: number) =>
      `Jak ta usługa chroni dane osobowe osób, które dzwonią do agentów naszych klientów. Poniższe wyniki nie są przygotowane z góry: są odczytywane z bazy danych i historii zadań, dla wszystkich organizacji naraz (jako liczby; żadna organizacja nie jest wymieniona), i odświeżane najwyżej raz na ${seconds} sekund.`,
    failing: (failing: number, total: number) => `Sprawdzenia zakończone niepowodzeniem: ${failing} z ${total}.`,
    noneFailing: (total: number) => `Żadne sprawdzenie nie kończy się niepowodzeniem (wszystkich sprawdzeń: ${total}).`,
    pending: (n: number) => `Jeszcze nie uruchomiono: ${n} – zadania, z których korzystają, nie zostały jeszcze wykonane w tej instalacji.`,
    checked: 'Sprawdzono',
    liveResults: 'Bieżące wyniki',
    state: { pass: 'Działa', fail: 'Nie działa', info: 'Do wiadomości', pending: 'Jeszcze nie uruchomiono' },
    perOrganisation:
      'Zgoda klawiszem i otwarte incydenty bezpieczeństwa są sprawdzane tylko dla każdej organizacji osobno: zgoda to ustawienie każdej organizacji, a incydent zgłaszamy organizacjom, których dotyczy, i organowi nadzorczemu, nie ogłaszamy go tutaj.',
    notYetRun: ['Sprawdzenie jest ', 'jeszcze nieuruchomione', ', gdy zadanie, z którego odczytuje wyniki, nie zostało jeszcze wykonane w nowej instalacji (na przykład codzienne usuwanie danych po raz pierwszy wykonuje się o 03:00 UTC); gdy to wykonanie jest spóźnione, sprawdzenie kończy się niepowodzeniem.'],
    howTitle: 'Jak działają te mechanizmy',
    ownChecks: ['Każdy klient widzi te sprawdzenia dla swojej organizacji w panelu oraz pod adresem ', '. Zobacz też ', 'listę dalszych podmiotów przetwarzających', '.'],
    apiPath: 'GET /api/orgs/<identyfikator organizacji>/trust',
  },
};

export type TrustPageTexts = (typeof page)['en'];
export const TRUST_PAGE: Record<Lang, TrustPageTexts> = page;
export const TRUST_LOCALE = LOCALE;
