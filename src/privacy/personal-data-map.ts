/**
 * The map of personal data: for every table in the `public` schema, which
 * columns hold personal data and what happens to each (category, whose it is,
 * the blind index that finds the person, erasure, account deletion,
 * retention, export, legal basis), and which columns are not personal. Every
 * column of every public table is in one list or the other:
 * test/personal-data-map.test.ts compares this map with the live catalogue,
 * so a migration adding a column fails until the column is classified here.
 *
 * It describes what the code does today (src/erasure/erasure-service.ts,
 * src/retention/retention-purge.ts, src/exports/export-service.ts); the
 * record of processing activities (Art. 30) is generated from it.
 *
 * A column counts as not personal when it says nothing about a person by
 * itself and is linked to one only through a classified column of the same
 * row (timestamps, states, counts, a country read from a number's prefix),
 * or when it is the organisation's own business data (its phone numbers,
 * agents' texts, webhook URLs).
 */

export const DATA_CATEGORIES = ['contact', 'voice', 'conversation_content', 'identifier', 'network'] as const;
export type DataCategory = (typeof DATA_CATEGORIES)[number];

/** What each category covers (the record of processing shows it). */
export const DATA_CATEGORY_DESCRIPTIONS: Readonly<Record<DataCategory, string>> = Object.freeze({
  contact: 'Contact details: names, phone numbers and e-mail addresses',
  voice: 'Voice: call recordings (held at Twilio; here only their address)',
  conversation_content: 'Conversation content: transcripts of calls and notes taken about a caller',
  identifier: 'Identifiers: keyed hashes (blind indexes) of phone numbers and e-mail addresses, user ids, and provider ids of calls, recordings and conversations',
  network: 'Network data: the /24 (IPv4) or /48 (IPv6) prefix of the address a request came from',
});

export const SUBJECT_CATEGORIES = ['callers', 'members', 'requesters'] as const;
export type SubjectCategory = (typeof SUBJECT_CATEGORIES)[number];

export const SUBJECT_DESCRIPTIONS: Readonly<Record<SubjectCategory, string>> = Object.freeze({
  callers: 'People who call the organisation\'s AI voice agents (and the leads taken from those calls)',
  members: 'The organisation\'s members (owners, admins, members) and the platform\'s operators, who sign in as users',
  requesters: 'People who ask for the erasure of their data, through the public form or through the organisation',
});

export const ERASURE_ACTIONS = ['delete_row', 'null_columns', 'anonymise', 'keep'] as const;
export type ErasureAction = (typeof ERASURE_ACTIONS)[number];

/**
 * What happens to a column's value: its row deleted, the column set to null
 * (the row stays), the row anonymised (every personal column of the row
 * cleared, the row stays as a statistic), or kept, for a stated reason.
 */
export type Disposal =
  | { readonly action: 'delete_row' | 'null_columns' | 'anonymise'; readonly note?: string }
  | { readonly action: 'keep'; readonly reason: string };

/**
 * How long a value stays: the organisation's retention window (30 to 365
 * days, applied by the daily retention purge to rows older than it by the
 * `age` column), until an event, or for good with a reason.
 */
export type Retention =
  | { readonly rule: 'org_window'; readonly age: string; readonly action: Disposal }
  | { readonly rule: 'until'; readonly event: string }
  | { readonly rule: 'indefinite'; readonly reason: string };

export const LEGAL_BASES = {
  art6_1_a: 'Art. 6(1)(a) GDPR: consent (the keypad prompt, where the organisation asks it)',
  art6_1_b: 'Art. 6(1)(b) GDPR: contract, or steps taken at the person\'s request before one',
  art6_1_c: 'Art. 6(1)(c) GDPR: legal obligation (Art. 5(2), 7(1), 12, 17, 19, 33 GDPR)',
  art6_1_f: 'Art. 6(1)(f) GDPR: legitimate interests (answering and handling calls, security of the service)',
} as const;
export type LegalBasis = keyof typeof LEGAL_BASES;

export const PURPOSES = {
  call_handling: 'Answering calls with an AI voice agent, and keeping the call\'s record and statistics',
  call_recording: 'Recording and transcribing calls, where the caller consented or the organisation does not ask',
  consent_proof: 'Proving what the caller was asked and answered before anything was recorded (Art. 7(1))',
  lead_capture: 'Taking down the details a caller leaves so the organisation can get back to them',
  accounts: 'Signing in the organisation\'s members and managing their roles',
  data_subject_rights: 'Answering erasure and access requests (Art. 12, 15, 17, 19)',
  accountability: 'The audit log, the breach register and the provider deletion receipts (Art. 5(2), 30, 33)',
  service_operation: 'Running the service: jobs, webhooks, sub-processor notices',
} as const;
export type Purpose = keyof typeof PURPOSES;

export interface PersonalColumn {
  readonly category: DataCategory;
  readonly subjects: readonly SubjectCategory[];
  /** What an erasure request (Art. 17, found by the table's subject keys) does to it today. */
  readonly erasure: Disposal;
  /** What deleting the organisation's account does to it today. */
  readonly accountDeletion: Disposal;
  readonly retention: Retention;
  /** Whether the Art. 15/20 export (src/exports/export-service.ts) includes it. */
  readonly exported: boolean;
  readonly legalBasis: readonly LegalBasis[];
}

export interface TableMap {
  readonly purpose: Purpose;
  /**
   * The blind indexes that find the person's rows: `table.column` of a keyed
   * hash (src/lib/crypto.ts keyedHash). A table reached through another one
   * names that table's keys and says how in `reachedVia`. Empty: no person is
   * looked up here.
   */
  readonly subjectKeys: readonly string[];
  readonly reachedVia?: string;
  readonly personal: Readonly<Record<string, PersonalColumn>>;
  readonly notPersonal: readonly string[];
}

// ---------------------------------------------------------------------------
// Reasons and rules used by several columns
// ---------------------------------------------------------------------------

/** Erasure requests find callers and requesters by phone number or e-mail address; members' data is not theirs. */
const MEMBER_NOT_ERASED: Disposal = {
  action: 'keep',
  reason: 'A member\'s data, not a caller\'s: erasure requests look up callers by the keyed hash of a phone number or e-mail address and do not erase members (their data goes with the membership or the account)',
};
const AUDIT_KEPT = 'Audit rows are append-only and hash-chained (Art. 5(2)); they hold ids and keyed hashes only, never the erased values, and outlive the organisation';
const REGISTER_KEPT = 'The breach register is never deleted (Art. 33(5)); incidents are the platform\'s, not an organisation\'s';
const RECEIPT_KEPT = 'The receipt that a provider deleted the recording or conversation (Art. 5(2), 19); the id resolves to nothing once the deletion is done';
const CALL_ROW_KEPT = 'Twilio\'s id of the call stays on the call row with its statistics and on the proof of consent; erasure does not delete Twilio\'s own call log';

const deleteRow: Disposal = { action: 'delete_row' };
const nullColumns: Disposal = { action: 'null_columns' };
const cascade: Disposal = { action: 'delete_row', note: 'with the organisation (foreign key on delete cascade)' };

const WHILE_ACCOUNT: Retention = { rule: 'until', event: 'the organisation\'s account is deleted' };
const WHILE_MEMBER: Retention = { rule: 'until', event: 'the member is removed from the organisation, or the account is deleted' };
/** The record of an answered access request goes, whole, once the organisation's window has passed. */
const EXPORT_WINDOW: Retention = { rule: 'org_window', age: 'created_at', action: deleteRow };

/** A user id of a member or operator: an identifier the organisation holds while its account exists. */
function memberId(opts: { exported?: boolean; accountDeletion?: Disposal; retention?: Retention; purpose?: LegalBasis[] } = {}): PersonalColumn {
  return {
    category: 'identifier',
    subjects: ['members'],
    erasure: MEMBER_NOT_ERASED,
    accountDeletion: opts.accountDeletion ?? cascade,
    retention: opts.retention ?? WHILE_ACCOUNT,
    exported: opts.exported ?? false,
    legalBasis: opts.purpose ?? ['art6_1_b'],
  };
}

/** An audit column: kept by everything, for the reason above. */
function auditColumn(category: DataCategory, subjects: SubjectCategory[]): PersonalColumn {
  const keep: Disposal = { action: 'keep', reason: AUDIT_KEPT };
  return { category, subjects, erasure: keep, accountDeletion: keep, retention: { rule: 'indefinite', reason: AUDIT_KEPT }, exported: false, legalBasis: ['art6_1_c', 'art6_1_f'] };
}

/** A column of the breach register. */
function registerColumn(category: DataCategory): PersonalColumn {
  const keep: Disposal = { action: 'keep', reason: REGISTER_KEPT };
  return { category, subjects: ['members'], erasure: MEMBER_NOT_ERASED, accountDeletion: keep, retention: { rule: 'indefinite', reason: REGISTER_KEPT }, exported: false, legalBasis: ['art6_1_c'] };
}

/** A caller's column of a call: null at erasure and after the window, gone with the account. */
function callerOnCall(category: DataCategory, exported: boolean): PersonalColumn {
  return {
    category,
    subjects: ['callers'],
    erasure: nullColumns,
    accountDeletion: cascade,
    retention: { rule: 'org_window', age: 'started_at', action: nullColumns },
    exported,
    legalBasis: ['art6_1_f'],
  };
}

/** The keys that find a caller's calls: dialled from their number, or linked to a lead with their number or address. */
const CALLER_KEYS = ['calls.from_hash', 'leads.phone_hash', 'leads.email_hash'] as const;

// ---------------------------------------------------------------------------
// The map
// ---------------------------------------------------------------------------

const map: Record<string, TableMap> = {
  organizations: {
    purpose: 'accounts',
    subjectKeys: [],
    personal: { created_by: memberId() },
    // The name is the customer's company name; country, where its numbers are read.
    notPersonal: ['id', 'name', 'created_at', 'updated_at', 'country'],
  },

  users: {
    purpose: 'accounts',
    subjectKeys: ['users.email_hash'],
    personal: {
      // Users are not an organisation's: deleting an organisation removes their memberships, not them.
      id: { ...memberId({ exported: true, accountDeletion: { action: 'keep', reason: 'A user may belong to other organisations; the account deletion removes the memberships, not the user' } }), retention: { rule: 'indefinite', reason: 'No user deletion exists yet: a user row stays after its last membership' } },
      email: { category: 'contact', subjects: ['members'], erasure: MEMBER_NOT_ERASED, accountDeletion: { action: 'keep', reason: 'Sign-in address of a user who may belong to other organisations' }, retention: { rule: 'indefinite', reason: 'No user deletion exists yet' }, exported: true, legalBasis: ['art6_1_b'] },
      email_hash: { category: 'identifier', subjects: ['members'], erasure: MEMBER_NOT_ERASED, accountDeletion: { action: 'keep', reason: 'The sign-in look-up of a user who may belong to other organisations' }, retention: { rule: 'indefinite', reason: 'No user deletion exists yet' }, exported: false, legalBasis: ['art6_1_b'] },
      display_name: { category: 'contact', subjects: ['members'], erasure: MEMBER_NOT_ERASED, accountDeletion: { action: 'keep', reason: 'A user may belong to other organisations' }, retention: { rule: 'indefinite', reason: 'No user deletion exists yet' }, exported: false, legalBasis: ['art6_1_b'] },
    },
    notPersonal: ['created_at', 'last_seen_at'],
  },

  memberships: {
    purpose: 'accounts',
    subjectKeys: ['users.email_hash'],
    reachedVia: 'memberships.user_id → users.id',
    personal: {
      user_id: memberId({ exported: true, retention: WHILE_MEMBER }),
      invited_by: memberId({ retention: WHILE_MEMBER }),
    },
    notPersonal: ['id', 'org_id', 'role', 'invited_at', 'accepted_at', 'created_at', 'updated_at'],
  },

  privacy_preferences: {
    purpose: 'accounts',
    subjectKeys: [],
    personal: {
      updated_by: memberId(),
      // The organisation's DPO or privacy contact, told of security incidents (Art. 33(2)): a member's or contact's address, not a caller's.
      privacy_contact_email: {
        category: 'contact', subjects: ['members'], erasure: MEMBER_NOT_ERASED, accountDeletion: cascade,
        retention: { rule: 'until', event: 'the organisation changes or clears it, or its account is deleted' },
        exported: false, legalBasis: ['art6_1_b', 'art6_1_c'],
      },
    },
    notPersonal: ['org_id', 'retention_days', 'dtmf_consent', 'transcript_encryption', 'updated_at', 'consent_scope'],
  },

  agents: {
    purpose: 'call_handling',
    subjectKeys: [],
    personal: { created_by: memberId() },
    // The agent's name, language and greeting are the organisation's texts.
    notPersonal: ['id', 'org_id', 'name', 'language', 'first_message', 'elevenlabs_agent_id', 'created_at', 'updated_at', 'elevenlabs_tool_id'],
  },

  phone_numbers: {
    purpose: 'call_handling',
    subjectKeys: [],
    personal: {},
    // The organisation's own numbers, which callers dial.
    notPersonal: ['id', 'org_id', 'agent_id', 'e164', 'twilio_sid', 'created_at'],
  },

  calls: {
    purpose: 'call_handling',
    subjectKeys: CALLER_KEYS,
    reachedVia: 'calls.from_hash, or leads.call_id of a lead found by its keys',
    personal: {
      twilio_call_sid: {
        category: 'identifier', subjects: ['callers'],
        erasure: { action: 'keep', reason: CALL_ROW_KEPT },
        accountDeletion: cascade,
        retention: { rule: 'indefinite', reason: `${CALL_ROW_KEPT}; the purge keeps the call row and its statistics` },
        exported: true, legalBasis: ['art6_1_f'],
      },
      from_number: callerOnCall('contact', true),
      from_hash: callerOnCall('identifier', false),
      // Unlinked at erasure and after the window; the conversation itself is queued for deletion at ElevenLabs.
      elevenlabs_conversation_id: callerOnCall('identifier', false),
      // The agent platform's answer that connected the call: it can carry the caller's number.
      answer_twiml: callerOnCall('identifier', false),
    },
    // to_number is the organisation's number; caller_country only the country of the number's prefix.
    notPersonal: [
      'id', 'org_id', 'agent_id', 'phone_number_id', 'to_number', 'caller_country', 'direction', 'status', 'consent_state',
      'consent_attempts', 'recording_allowed', 'started_at', 'answered_at', 'ended_at', 'duration_seconds', 'outcome', 'erased_at',
      'created_at', 'updated_at', 'consent_language', 'greeting_sha256', 'disclosure_version',
    ],
  },

  call_consents: {
    purpose: 'consent_proof',
    subjectKeys: ['call_consents.caller_hash'],
    reachedVia: 'also call_consents.call_id of the person\'s calls',
    personal: {
      // The proof of consent keeps its row (Art. 7(1)) but stops pointing at the caller.
      caller_hash: {
        category: 'identifier', subjects: ['callers'],
        erasure: { action: 'null_columns', note: 'the proof itself stays (Art. 7(1))' },
        accountDeletion: { action: 'null_columns', note: 'the row outlives the organisation (no foreign key)' },
        retention: { rule: 'org_window', age: 'created_at', action: nullColumns },
        exported: false, legalBasis: ['art6_1_c'],
      },
      twilio_call_sid: {
        category: 'identifier', subjects: ['callers'],
        erasure: { action: 'keep', reason: 'The proof of consent names the call it was given in (Art. 7(1)); without the caller hash it points at no number here' },
        accountDeletion: { action: 'keep', reason: 'Proofs of consent outlive the organisation without pointing at anyone' },
        retention: { rule: 'indefinite', reason: 'Part of the append-only proof of consent' },
        exported: false, legalBasis: ['art6_1_c'],
      },
    },
    notPersonal: ['id', 'org_id', 'call_id', 'country', 'prompt_language', 'prompt_version', 'prompt_hash', 'digit', 'outcome', 'attempt', 'created_at', 'erased_at'],
  },

  leads: {
    purpose: 'lead_capture',
    subjectKeys: ['leads.phone_hash', 'leads.email_hash'],
    reachedVia: 'also leads.call_id of the person\'s calls',
    personal: Object.fromEntries(
      ([
        ['name', 'contact', true],
        ['phone', 'contact', true],
        ['phone_hash', 'identifier', false],
        ['email', 'contact', true],
        ['email_hash', 'identifier', false],
        // Free text about the person: it goes with the name, number and address.
        ['notes', 'conversation_content', true],
      ] as const).map(([column, category, exported]): [string, PersonalColumn] => [
        column,
        {
          category, subjects: ['callers'], erasure: deleteRow, accountDeletion: cascade,
          retention: { rule: 'org_window', age: 'created_at', action: { action: 'anonymise', note: 'every personal column cleared, anonymised_at set; the row stays' } },
          exported, legalBasis: ['art6_1_b', 'art6_1_f'],
        },
      ]),
    ),
    notPersonal: ['id', 'org_id', 'call_id', 'anonymised_at', 'created_at', 'updated_at'],
  },

  recordings: {
    purpose: 'call_recording',
    subjectKeys: CALLER_KEYS,
    reachedVia: 'recordings.call_id of the person\'s calls',
    personal: {
      twilio_recording_sid: {
        category: 'identifier', subjects: ['callers'],
        erasure: { action: 'delete_row', note: 'the recording is queued for deletion at Twilio in the same transaction' },
        accountDeletion: { action: 'delete_row', note: 'with the organisation; the recording queued for deletion at Twilio first' },
        retention: { rule: 'indefinite', reason: 'After the window the row stays, marked deleted_at, as the receipt; the recording itself is deleted at Twilio (provider_deletions)' },
        exported: true, legalBasis: ['art6_1_a', 'art6_1_f'],
      },
      media_url: {
        category: 'voice', subjects: ['callers'],
        erasure: deleteRow, accountDeletion: cascade,
        retention: { rule: 'org_window', age: 'created_at', action: { action: 'null_columns', note: 'and the recording queued for deletion at Twilio' } },
        exported: false, legalBasis: ['art6_1_a', 'art6_1_f'],
      },
    },
    // sha256 is the fingerprint of the audio file, kept as evidence of what was recorded;
    // fingerprint_attempts / fingerprint_next_attempt_at are the retry queue of computing it.
    notPersonal: [
      'id', 'org_id', 'call_id', 'status', 'duration_seconds', 'channels', 'sha256', 'fingerprint_attempts', 'fingerprint_next_attempt_at',
      'deleted_at', 'created_at', 'updated_at',
      // Where a recording delivered to the organisation's own store lives: the bucket, the object key
      // (prefix + recording id), the store's ETag and when the upload was confirmed. No personal data;
      // the object itself is deleted there by retention and erasure (provider_deletions 'customer_storage').
      'storage_bucket', 'storage_object_key', 'storage_etag', 'storage_delivered_at',
    ],
  },

  transcripts: {
    purpose: 'call_recording',
    subjectKeys: CALLER_KEYS,
    reachedVia: 'transcripts.call_id of the person\'s calls',
    personal: Object.fromEntries(
      ([
        ['content', 'conversation_content', true],
        // The same content encrypted (AES-256-GCM) when the organisation switched encryption on.
        ['ciphertext', 'conversation_content', true],
        ['elevenlabs_conversation_id', 'identifier', false],
      ] as const).map(([column, category, exported]): [string, PersonalColumn] => [
        column,
        {
          category, subjects: ['callers'], erasure: deleteRow, accountDeletion: cascade,
          retention: { rule: 'org_window', age: 'created_at', action: deleteRow },
          exported, legalBasis: ['art6_1_a', 'art6_1_f'],
        },
      ]),
    ),
    notPersonal: ['id', 'org_id', 'call_id', 'key_id', 'created_at', 'updated_at'],
  },

  erasure_requests: {
    purpose: 'data_subject_rights',
    subjectKeys: ['erasure_requests.subject_hash'],
    personal: {
      subject_hash: {
        category: 'identifier', subjects: ['requesters', 'callers'],
        erasure: { action: 'keep', reason: 'The request is the record that the erasure was asked for and done (Art. 5(2), 17, 19); it holds the keyed hash only' },
        accountDeletion: { action: 'keep', reason: 'Requests outlive the organisation (org_id set null) as receipts' },
        retention: { rule: 'indefinite', reason: 'The record of a request answered (Art. 5(2))' },
        exported: false, legalBasis: ['art6_1_c'],
      },
      // Where the completion notice goes: cleared once it is sent, or when an unconfirmed request is cancelled.
      contact_email: {
        category: 'contact', subjects: ['requesters'],
        erasure: { action: 'null_columns', note: 'when the request closes: after the completion e-mail, or with an unconfirmed request after two days' },
        accountDeletion: { action: 'keep', reason: 'Only public requests carry it; they belong to no organisation and clear it when they close' },
        retention: { rule: 'until', event: 'the request closes (completion e-mail sent, or unconfirmed for two days)' },
        exported: false, legalBasis: ['art6_1_c'],
      },
      requested_by: memberId({ accountDeletion: { action: 'keep', reason: 'Requests outlive the organisation as receipts' }, retention: { rule: 'indefinite', reason: 'The record of who filed the request' }, purpose: ['art6_1_c'] }),
    },
    notPersonal: [
      'id', 'org_id', 'source', 'subject_type', 'status', 'received_at', 'confirmed_at', 'due_at', 'extended_until', 'extension_reason',
      'extension_notified_at', 'completed_at', 'completion_notified_at', 'flagged_at', 'flag_reason', 'due_soon_paged_at', 'counts',
      'receipts', 'created_at', 'updated_at', 'affected_org_ids',
      // The request log: which identity check it passed (email_link, sms_code, organization) and when.
      'identity_check', 'verified_at',
    ],
  },

  // An organisation's Art. 17(3) hold on a person: while active, erasure skips
  // that organisation's data of them, the purge leaves it, and the account
  // cannot be deleted. The hold row is the organisation's legal record (reason,
  // dates, who); it stops pointing at the person once the hold has ended and
  // their erasure runs there.
  legal_holds: {
    purpose: 'data_subject_rights',
    subjectKeys: ['legal_holds.subject_hash'],
    personal: {
      placed_by: memberId({ purpose: ['art6_1_c'] }),
      ended_by: memberId({ purpose: ['art6_1_c'] }),
      ...Object.fromEntries(
      ([
        ['subject_hash', 'identifier'],
        // The masked number or address ("+49•••89", "e•••@example.com") the organisation recognises the person by.
        ['subject_hint', 'contact'],
      ] as const).map(([column, category]): [string, PersonalColumn] => [
        column,
        {
          category, subjects: ['callers'],
          erasure: { action: 'null_columns', note: 'once the hold has ended (or run out) and the person\'s erasure runs in the organisation; while the hold is active the erasure skips the organisation and this stays (Art. 17(3))' },
          accountDeletion: { action: 'delete_row', note: 'with the organisation, which cannot be deleted while a hold is active' },
          retention: { rule: 'until', event: 'the hold has ended and an erasure of the person runs in the organisation (the record of the hold itself stays, Art. 5(2))' },
          exported: false, legalBasis: ['art6_1_c'],
        },
      ]),
      ),
    },
    // The reason is the organisation's statement of the legal ground.
    notPersonal: ['id', 'org_id', 'subject_type', 'reason', 'held_until', 'placed_at', 'ended_at', 'created_at', 'updated_at'],
  },

  // What an erasure request skipped in an organisation because of a legal hold,
  // and when it was carried out after the hold ended: ids, the hold's reason
  // and end as the requester was told them, and counts. No one is looked up here.
  erasure_request_holds: {
    purpose: 'data_subject_rights',
    subjectKeys: [],
    reachedVia: 'erasure_request_holds.request_id of a request',
    personal: {},
    notPersonal: ['id', 'request_id', 'org_id', 'hold_id', 'reason', 'held_until', 'held_counts', 'held_at', 'erased_at', 'erased_counts'],
  },

  privacy_requests: {
    purpose: 'data_subject_rights',
    subjectKeys: ['privacy_requests.subject_hash'],
    personal: {
      // The person's keyed hash, only while the request waits for its confirmation.
      subject_hash: {
        category: 'identifier', subjects: ['requesters', 'callers'],
        erasure: { action: 'keep', reason: 'Cleared when the request closes: answered at its confirmation, or cancelled unconfirmed after two days; an open request is the person\'s own and is not erased by another' },
        accountDeletion: { action: 'keep', reason: 'Public requests belong to no organisation' },
        retention: { rule: 'until', event: 'the request is confirmed, or cancelled unconfirmed after two days' },
        exported: false, legalBasis: ['art6_1_c'],
      },
    },
    notPersonal: ['id', 'request_type', 'subject_type', 'status', 'received_at', 'confirmed_at', 'download_count', 'created_at'],
  },

  access_downloads: {
    purpose: 'data_subject_rights',
    subjectKeys: ['access_downloads.subject_hash'],
    personal: {
      // What the download exports: the person's keyed hash, until the link is used.
      subject_hash: {
        category: 'identifier', subjects: ['requesters', 'callers'],
        erasure: { action: 'keep', reason: 'Cleared when the download is used and the row removed a day after it expires (24 hours); a download opened after an erasure finds nothing left to export' },
        accountDeletion: cascade,
        retention: { rule: 'until', event: 'the download is used (cleared), or a day after it expired (row removed)' },
        exported: false, legalBasis: ['art6_1_c'],
      },
    },
    // token_hash is the SHA-256 of a random token, not of anything about the person.
    notPersonal: ['id', 'request_id', 'org_id', 'token_hash', 'expires_at', 'used_at', 'created_at'],
  },

  do_not_record_numbers: {
    purpose: 'data_subject_rights',
    subjectKeys: ['do_not_record_numbers.phone_hash'],
    personal: {
      // The caller's objection to recording (Art. 21), for every organisation: a keyed hash of the number.
      phone_hash: {
        category: 'identifier', subjects: ['callers'],
        erasure: { action: 'keep', reason: 'The caller\'s objection to recording (Art. 21) must outlast the erasure of their data, or erasing them would start recording them again; it is a keyed hash only, and says nothing about which organisations they called' },
        accountDeletion: { action: 'keep', reason: 'The list is the platform\'s, for every organisation, not one organisation\'s' },
        retention: { rule: 'until', event: 'the caller withdraws the objection (on /forget-me, "Allow recording again", or through the privacy contact named there)' },
        exported: false, legalBasis: ['art6_1_c'],
      },
    },
    notPersonal: ['id', 'request_id', 'created_at'],
  },

  exports: {
    purpose: 'data_subject_rights',
    subjectKeys: ['exports.subject_hash'],
    personal: {
      subject_hash: {
        category: 'identifier', subjects: ['callers'],
        erasure: { action: 'null_columns', note: 'the record that an access request was answered stays (Art. 5(2), 15), without pointing at the person' },
        accountDeletion: cascade,
        retention: EXPORT_WINDOW,
        exported: false, legalBasis: ['art6_1_c'],
      },
      requested_by: memberId({ retention: EXPORT_WINDOW, purpose: ['art6_1_c'] }),
    },
    notPersonal: ['id', 'org_id', 'subject_type', 'counts', 'created_at'],
  },

  impersonations: {
    purpose: 'accountability',
    subjectKeys: [],
    personal: {
      operator_id: memberId({ purpose: ['art6_1_f'] }),
      target_user_id: memberId({ purpose: ['art6_1_f'] }),
    },
    notPersonal: ['id', 'org_id', 'reason', 'started_at', 'expires_at', 'ended_at'],
  },

  audit_logs: {
    purpose: 'accountability',
    subjectKeys: ['audit_logs.metadata->>subject_hash'],
    personal: {
      actor_id: auditColumn('identifier', ['members']),
      acting_as_id: auditColumn('identifier', ['members']),
      // A user's id when the target is a user or membership; otherwise another record's id.
      target_id: auditColumn('identifier', ['members']),
      ip: auditColumn('network', ['members', 'requesters']),
      // Keyed hashes of erased and exported subjects, never their values.
      metadata: auditColumn('identifier', ['callers', 'requesters']),
    },
    notPersonal: ['id', 'chain_key', 'chain_index', 'org_id', 'actor_type', 'action', 'target_type', 'request_id', 'created_at', 'prev_hash', 'row_hash'],
  },

  audit_chain_checkpoints: {
    purpose: 'accountability',
    subjectKeys: [],
    personal: {},
    notPersonal: [
      'chain_key', 'verified_index', 'verified_hash', 'verified_row_id', 'verified_at', 'sweep_index', 'sweep_hash', 'sweep_started_at',
      'full_verified_at', 'full_verified_index', 'broken_index', 'broken_row_id', 'broken_problem', 'broken_found_at', 'updated_at',
    ],
  },

  provider_deletions: {
    purpose: 'accountability',
    subjectKeys: [],
    reachedVia: 'provider_deletions.erasure_request_id of a request',
    personal: {
      // A recording SID or conversation id (or an agent id, which is not personal).
      resource_id: {
        category: 'identifier', subjects: ['callers'],
        erasure: { action: 'keep', reason: RECEIPT_KEPT },
        accountDeletion: { action: 'keep', reason: `${RECEIPT_KEPT}; the queue has no foreign key to the organisation` },
        retention: { rule: 'indefinite', reason: RECEIPT_KEPT },
        exported: false, legalBasis: ['art6_1_c'],
      },
    },
    notPersonal: [
      'id', 'org_id', 'provider', 'resource_type', 'reason', 'erasure_request_id', 'status', 'attempts', 'next_attempt_at', 'last_error',
      'provider_status', 'done_at', 'created_at', 'updated_at',
    ],
  },

  security_incidents: {
    purpose: 'accountability',
    subjectKeys: [],
    personal: {
      created_by: registerColumn('identifier'),
      // The person the supervisory authority may contact (Art. 33(3)(b)).
      contact_point: registerColumn('contact'),
    },
    notPersonal: [
      'id', 'title', 'severity', 'description', 'affected_org_ids', 'aware_at', 'detected_at', 'contained_at', 'notified_at',
      'authority_reference', 'nature', 'data_categories', 'approx_subjects', 'approx_records', 'likely_consequences', 'measures',
      'delay_reason', 'art34_required', 'art34_exemption', 'last_paged_at', 'created_at', 'updated_at',
    ],
  },

  security_incident_events: {
    purpose: 'accountability',
    subjectKeys: [],
    personal: {
      actor_id: registerColumn('identifier'),
      // The changed fields of the incident, contact_point among them.
      changes: registerColumn('contact'),
    },
    notPersonal: ['id', 'incident_id', 'kind', 'created_at'],
  },

  incident_pages: {
    purpose: 'accountability',
    subjectKeys: [],
    // The DPO's address each page went to.
    personal: { recipient: registerColumn('contact') },
    notPersonal: ['id', 'incident_id', 'result', 'error', 'hours_left', 'paged_at'],
  },

  incident_organizations: {
    purpose: 'accountability',
    subjectKeys: [],
    // The member who acknowledged the notice (null when acknowledged through the e-mailed link).
    personal: { acknowledged_by: registerColumn('identifier') },
    notPersonal: [
      'id', 'incident_id', 'org_id', 'added_at', 'notified_at', 'last_paged_at', 'pages_sent', 'last_error', 'claimed_at',
      'acknowledged_at', 'acknowledged_via',
    ],
  },

  subprocessors: {
    purpose: 'service_operation',
    subjectKeys: [],
    personal: {},
    notPersonal: ['id', 'name', 'purpose', 'data_categories', 'region', 'role', 'safeguards', 'status', 'announced_at', 'effective_at', 'created_at', 'updated_at'],
  },

  subprocessor_notices: {
    purpose: 'service_operation',
    subjectKeys: [],
    personal: { user_id: memberId() },
    notPersonal: ['id', 'subprocessor_id', 'org_id', 'status', 'attempts', 'last_error', 'sent_at', 'objected_at', 'objection_reason', 'objection_resolved_at', 'created_at', 'claimed_at'],
  },

  job_runs: {
    purpose: 'service_operation',
    subjectKeys: [],
    personal: {},
    // Hosts and process ids of the backend, counts and error messages: no personal data.
    notPersonal: ['id', 'job_name', 'slot', 'claimed_by', 'status', 'started_at', 'finished_at', 'counts', 'error', 'owner_host', 'owner_pid', 'owner_lock', 'db_started_at'],
  },

  webhook_endpoints: {
    purpose: 'service_operation',
    subjectKeys: [],
    personal: { created_by: memberId() },
    notPersonal: ['id', 'org_id', 'url', 'events', 'description', 'secret', 'created_at', 'updated_at'],
  },

  webhook_deliveries: {
    purpose: 'service_operation',
    subjectKeys: [],
    personal: {},
    // Payloads carry ids, states and times only (see the customer-webhooks migration).
    notPersonal: ['id', 'org_id', 'endpoint_id', 'event_id', 'event_type', 'payload', 'status', 'attempts', 'next_attempt_at', 'last_status', 'last_error', 'delivered_at', 'created_at', 'updated_at'],
  },
};

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

/** Every public table, by name. */
export const PERSONAL_DATA_MAP: Readonly<Record<string, TableMap>> = deepFreeze(map);

export interface ClassifiedColumn extends PersonalColumn {
  table: string;
  column: string;
}

/** Every personal column of the map, as `table.column` with its classification, in map order. */
export function personalColumns(m: Readonly<Record<string, TableMap>> = PERSONAL_DATA_MAP): ClassifiedColumn[] {
  return Object.entries(m).flatMap(([table, entry]) =>
    Object.entries(entry.personal).map(([column, c]) => ({ table, column, ...c })),
  );
}

/**
 * What is wrong between the map and a database's catalogue (`table.column`
 * pairs of the public schema's tables): columns classified neither way,
 * columns in both lists, and map entries for tables or columns that do not
 * exist. Empty when they agree.
 */
export function mapProblems(catalogue: readonly { table: string; column: string }[], m: Readonly<Record<string, TableMap>> = PERSONAL_DATA_MAP): string[] {
  const problems: string[] = [];
  const live = new Map<string, Set<string>>();
  for (const { table, column } of catalogue) {
    if (!live.has(table)) live.set(table, new Set());
    live.get(table)!.add(column);
  }
  for (const [table, columns] of live) {
    const entry = m[table];
    for (const column of columns) {
      const personal = entry ? Object.hasOwn(entry.personal, column) : false;
      const notPersonal = entry ? entry.notPersonal.includes(column) : false;
      if (!personal && !notPersonal) {
        problems.push(`${table}.${column} is not classified: add it to src/privacy/personal-data-map.ts, as personal (category, subject, erasure, retention, export, legal basis) or in ${table}'s notPersonal list`);
      } else if (personal && notPersonal) {
        problems.push(`${table}.${column} is both personal and not personal in src/privacy/personal-data-map.ts`);
      }
    }
  }
  for (const [table, entry] of Object.entries(m)) {
    const columns = live.get(table);
    if (!columns) {
      problems.push(`${table} is in src/privacy/personal-data-map.ts but is no table of the public schema: remove it from the map`);
      continue;
    }
    for (const column of [...Object.keys(entry.personal), ...entry.notPersonal]) {
      if (!columns.has(column)) problems.push(`${table}.${column} is in src/privacy/personal-data-map.ts but the table has no such column: remove it from the map`);
    }
  }
  return problems;
}

/** Classifications that break the map's own rules (an unknown action, a `keep` without a reason, ...). */
export function ruleProblems(m: Readonly<Record<string, TableMap>> = PERSONAL_DATA_MAP): string[] {
  const problems: string[] = [];
  const checkDisposal = (where: string, d: Disposal) => {
    if (!(ERASURE_ACTIONS as readonly string[]).includes(d.action)) problems.push(`${where}: unknown action ${String(d.action)}`);
    if (d.action === 'keep' && !(typeof d.reason === 'string' && d.reason.trim().length >= 10)) problems.push(`${where}: keep needs a stated reason`);
  };
  for (const c of personalColumns(m)) {
    const at = `${c.table}.${c.column}`;
    if (!(DATA_CATEGORIES as readonly string[]).includes(c.category)) problems.push(`${at}: unknown category ${String(c.category)}`);
    if (c.subjects.length === 0 || c.subjects.some((s) => !(SUBJECT_CATEGORIES as readonly string[]).includes(s))) problems.push(`${at}: subjects must be among ${SUBJECT_CATEGORIES.join(', ')}`);
    if (c.legalBasis.length === 0 || c.legalBasis.some((b) => !Object.hasOwn(LEGAL_BASES, b))) problems.push(`${at}: needs a legal basis among ${Object.keys(LEGAL_BASES).join(', ')}`);
    checkDisposal(`${at} erasure`, c.erasure);
    checkDisposal(`${at} account deletion`, c.accountDeletion);
    if (c.retention.rule === 'org_window') checkDisposal(`${at} retention`, c.retention.action);
    if (c.retention.rule === 'indefinite' && !(c.retention.reason.trim().length >= 10)) problems.push(`${at} retention: indefinite needs a stated reason`);
  }
  return problems;
}

// ---------------------------------------------------------------------------
// What the code reads from the map: erasure, retention, export and account
// deletion take their column lists from here, never from a list of their own.
// ---------------------------------------------------------------------------

function tableOf(table: string, m: Readonly<Record<string, TableMap>>): TableMap {
  const entry = m[table];
  if (!entry) throw new Error(`${table} is not in the personal-data map (src/privacy/personal-data-map.ts)`);
  return entry;
}

function columnsOf(table: string, pick: (c: PersonalColumn) => boolean, m: Readonly<Record<string, TableMap>>): string[] {
  return Object.entries(tableOf(table, m).personal).filter(([, c]) => pick(c)).map(([column]) => column);
}

/** The personal columns of `table` that an erasure request treats with `action`, in map order. */
export function erasureColumns(table: string, action: ErasureAction, m: Readonly<Record<string, TableMap>> = PERSONAL_DATA_MAP): string[] {
  return columnsOf(table, (c) => c.erasure.action === action, m);
}

/** The personal columns of `table` that the retention purge treats with `action` once the organisation's window has passed. */
export function retentionColumns(table: string, action: ErasureAction, m: Readonly<Record<string, TableMap>> = PERSONAL_DATA_MAP): string[] {
  return columnsOf(table, (c) => c.retention.rule === 'org_window' && c.retention.action.action === action, m);
}

/** The personal columns of `table` that deleting the organisation's account treats with `action`. */
export function accountDeletionColumns(table: string, action: ErasureAction, m: Readonly<Record<string, TableMap>> = PERSONAL_DATA_MAP): string[] {
  return columnsOf(table, (c) => c.accountDeletion.action === action, m);
}

/** The personal columns of `table` the Art. 15/20 export includes, in map order. */
export function exportedColumns(table: string, m: Readonly<Record<string, TableMap>> = PERSONAL_DATA_MAP): string[] {
  return columnsOf(table, (c) => c.exported, m);
}
