import {
  DATA_CATEGORIES,
  DATA_CATEGORY_DESCRIPTIONS,
  LEGAL_BASES,
  PERSONAL_DATA_MAP,
  PURPOSES,
  SUBJECT_CATEGORIES,
  SUBJECT_DESCRIPTIONS,
  personalColumns,
  type DataCategory,
  type Disposal,
  type LegalBasis,
  type Purpose,
  type Retention,
  type SubjectCategory,
  type TableMap,
} from './personal-data-map.js';

/** Who runs this platform, when the configuration names nobody. */
export const DEFAULT_PROCESSOR_NAME = 'The operator of this EU voice-agent platform (Twilio telephony, ElevenLabs voice agents)';

/** What the record is built from: the organisation, its privacy preferences, the live sub-processors. */
export interface RecordInputs {
  organization: { id: string; name: string; country: string | null };
  preferences: { retention_days: number; dtmf_consent: boolean; consent_scope: string; transcript_encryption: boolean };
  subprocessors: readonly { name: string; purpose: string; region: string; data_categories: readonly string[]; safeguards: string }[];
  processorName?: string;
  map?: Readonly<Record<string, TableMap>>;
}

export interface RetentionEntry {
  table: string;
  columns: string[];
  rule: Retention['rule'];
  description: string;
}

/** The record of processing activities (GDPR Art. 30): exactly these keys. */
export interface RecordOfProcessing {
  controller: { id: string; name: string; country: string | null; role: string };
  processor: { name: string; role: string };
  categories_of_data: { category: DataCategory; description: string; subjects: SubjectCategory[]; tables: string[]; columns: string[] }[];
  categories_of_subjects: { subject: SubjectCategory; description: string; tables: string[] }[];
  purposes: { purpose: Purpose; description: string; legal_basis: string[]; tables: string[] }[];
  recipients: { name: string; purpose: string; region: string; data_categories: string[]; safeguards: string }[];
  transfers_outside_eea: { transfers: { name: string; region: string; safeguards: string }[]; statement: string };
  retention: { window_days: number; rules: RetentionEntry[] };
  security_measures: string[];
}

/** A region in the EU or the EEA, as the sub-processor list writes it ("EU (Frankfurt, ...)"). */
export function inEea(region: string): boolean {
  return /^(EU|EEA)\b/i.test(region.trim());
}

function disposalText(d: Disposal): string {
  const words = { delete_row: 'row deleted', null_columns: 'column cleared', anonymise: 'row anonymised', keep: 'kept' } as const;
  if (d.action === 'keep') return `kept: ${d.reason}`;
  return d.note ? `${words[d.action]} (${d.note})` : words[d.action];
}

function retentionText(r: Retention, windowDays: number): string {
  if (r.rule === 'org_window') return `${windowDays} days (the organisation's window, by the daily purge, counted from ${r.age}): ${disposalText(r.action)}`;
  if (r.rule === 'until') return `until ${r.event}`;
  return `kept: ${r.reason}`;
}

const sorted = <T>(xs: Iterable<T>): T[] => [...new Set(xs)].sort();

/** Builds the record from the personal-data map, the organisation's preferences and the sub-processor list. */
export function buildRecordOfProcessing(input: RecordInputs): RecordOfProcessing {
  const map = input.map ?? PERSONAL_DATA_MAP;
  const columns = personalColumns(map);
  const prefs = input.preferences;

  const categories_of_data = DATA_CATEGORIES.map((category) => {
    const of = columns.filter((c) => c.category === category);
    return {
      category,
      description: DATA_CATEGORY_DESCRIPTIONS[category],
      subjects: SUBJECT_CATEGORIES.filter((s) => of.some((c) => c.subjects.includes(s))),
      tables: sorted(of.map((c) => c.table)),
      columns: of.map((c) => `${c.table}.${c.column}`),
    };
  });

  const categories_of_subjects = SUBJECT_CATEGORIES.map((subject) => ({
    subject,
    description: SUBJECT_DESCRIPTIONS[subject],
    tables: sorted(columns.filter((c) => c.subjects.includes(subject)).map((c) => c.table)),
  }));

  // A purpose, with the legal bases of the personal columns of its tables.
  const purposes = (Object.keys(PURPOSES) as Purpose[])
    .map((purpose) => {
      const tables = Object.entries(map).filter(([, t]) => t.purpose === purpose && Object.keys(t.personal).length > 0).map(([name]) => name);
      const bases = new Set<LegalBasis>(columns.filter((c) => tables.includes(c.table)).flatMap((c) => c.legalBasis));
      let description: string = PURPOSES[purpose];
      if (purpose === 'call_recording') {
        description += !prefs.dtmf_consent
          ? '. This organisation does not ask for keypad consent: calls are recorded without asking first.'
          : prefs.consent_scope === 'all_callers'
            ? '. This organisation asks every caller to press 1 before anything is recorded; without consent nothing is recorded.'
            : '. This organisation asks callers from DE, AT, CH and PL to press 1 before anything is recorded; calls from other countries are recorded without asking first.';
      }
      return { purpose, description, legal_basis: (Object.keys(LEGAL_BASES) as LegalBasis[]).filter((b) => bases.has(b)).map((b) => LEGAL_BASES[b]), tables: tables.sort() };
    })
    .filter((p) => p.tables.length > 0);

  const recipients = input.subprocessors.map((s) => ({
    name: s.name,
    purpose: s.purpose,
    region: s.region,
    data_categories: [...s.data_categories],
    safeguards: s.safeguards,
  }));
  const outside = recipients.filter((r) => !inEea(r.region)).map((r) => ({ name: r.name, region: r.region, safeguards: r.safeguards }));

  // One entry per table and rule, with the columns it applies to.
  const rules = new Map<string, RetentionEntry>();
  for (const c of columns) {
    const description = retentionText(c.retention, prefs.retention_days);
    const key = `${c.table}\u0000${description}`;
    const entry = rules.get(key) ?? { table: c.table, columns: [], rule: c.retention.rule, description };
    entry.columns.push(c.column);
    rules.set(key, entry);
  }

  return {
    controller: {
      id: input.organization.id,
      name: input.organization.name,
      country: input.organization.country,
      role: 'Controller (Art. 4(7) GDPR): decides why callers are answered by its agents and what is kept',
    },
    processor: {
      name: input.processorName ?? DEFAULT_PROCESSOR_NAME,
      role: 'Processor (Art. 28 GDPR): runs the platform on the controller\'s instructions',
    },
    categories_of_data,
    categories_of_subjects,
    purposes,
    recipients,
    transfers_outside_eea: {
      transfers: outside,
      statement: outside.length
        ? `${outside.length} sub-processor(s) process data outside the EU/EEA, under the safeguards listed.`
        : 'None: every sub-processor in use processes the data in the EU/EEA.',
    },
    retention: { window_days: prefs.retention_days, rules: [...rules.values()] },
    security_measures: [
      'Tenant isolation by PostgreSQL row-level security on every table that holds personal data',
      'Phone numbers and e-mail addresses are looked up through keyed hashes (HMAC blind indexes), never by scanning',
      prefs.transcript_encryption
        ? 'Transcripts encrypted at rest with AES-256-GCM under keys only the backend holds (switched on for this organisation)'
        : 'Transcript encryption (AES-256-GCM) is available but switched off for this organisation',
      !prefs.dtmf_consent
        ? 'Keypad consent before recording: switched off for this organisation'
        : `Keypad consent before recording: on, for ${prefs.consent_scope === 'all_callers' ? 'every caller' : 'callers from DE, AT, CH and PL'}; without consent nothing is recorded`,
      `Retention window of ${prefs.retention_days} days enforced by a daily purge; deletions owed to Twilio and ElevenLabs go through a durable queue with retries`,
      'Append-only, hash-chained audit log holding ids and keyed hashes only, verified by a job every minute',
      'Webhook signatures verified on every provider request and secrets compared in constant time',
      'Operator access to an organisation only by time-limited, audited impersonation with a stated reason',
      'Breach register with the DPO paged every 30 minutes until the supervisory authority has been told (Art. 33)',
    ],
  };
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The record as Markdown (docs/records-of-processing.md is this for the demo organisation). */
export function renderRecordOfProcessing(r: RecordOfProcessing): string {
  const lines: string[] = [
    '# Record of processing activities (Art. 30 GDPR)',
    '',
    `Generated by \`npm run records-of-processing\` from the personal-data map (\`src/privacy/personal-data-map.ts\`), the organisation's privacy preferences and the sub-processor list. The same record is served as JSON at \`GET /api/orgs/<organisation id>/records-of-processing\`.`,
    '',
    '## Controller',
    '',
    `- Name: ${r.controller.name}`,
    `- Id: \`${r.controller.id}\``,
    `- Country: ${r.controller.country ?? 'not set'}`,
    `- ${r.controller.role}`,
    '',
    '## Processor',
    '',
    `- Name: ${r.processor.name}`,
    `- ${r.processor.role}`,
    '',
    '## Categories of data',
    '',
    '| category | description | subjects | columns |',
    '|---|---|---|---|',
    ...r.categories_of_data.map((c) => `| ${c.category} | ${cell(c.description)} | ${c.subjects.join(', ')} | ${c.columns.map((x) => `\`${x}\``).join(', ')} |`),
    '',
    '## Categories of data subjects',
    '',
    '| subjects | description | tables |',
    '|---|---|---|',
    ...r.categories_of_subjects.map((s) => `| ${s.subject} | ${cell(s.description)} | ${s.tables.join(', ')} |`),
    '',
    '## Purposes and legal bases',
    '',
    '| purpose | description | legal basis | tables |',
    '|---|---|---|---|',
    ...r.purposes.map((p) => `| ${p.purpose} | ${cell(p.description)} | ${p.legal_basis.map(cell).join('; ')} | ${p.tables.join(', ')} |`),
    '',
    '## Recipients (sub-processors in use)',
    '',
    '| name | purpose | region | data | safeguards |',
    '|---|---|---|---|---|',
    ...r.recipients.map((x) => `| ${cell(x.name)} | ${cell(x.purpose)} | ${cell(x.region)} | ${x.data_categories.map(cell).join(', ')} | ${cell(x.safeguards)} |`),
    '',
    '## Transfers outside the EU/EEA',
    '',
    r.transfers_outside_eea.statement,
    ...r.transfers_outside_eea.transfers.map((t) => `- ${t.name} (${t.region}): ${t.safeguards}`),
    '',
    '## Retention',
    '',
    `The organisation's retention window: ${r.retention.window_days} days.`,
    '',
    '| table | columns | rule |',
    '|---|---|---|',
    ...r.retention.rules.map((x) => `| ${x.table} | ${x.columns.join(', ')} | ${cell(x.description)} |`),
    '',
    '## Security measures (Art. 32)',
    '',
    ...r.security_measures.map((m) => `- ${m}`),
    '',
  ];
  return lines.join('\n');
}
