import { randomBytes } from 'node:crypto';
import type { ServiceDb } from '../../src/db/database.js';
import { keyedHash } from '../../src/lib/crypto.js';
import { personalColumns, type ClassifiedColumn, type SubjectCategory } from '../../src/privacy/personal-data-map.js';

/**
 * Tools for the guard tests that look for a person in the whole database:
 * the person's own values and keyed hashes as needles, a scan of every column
 * of every table for them, and a fixture that gives every personal column of
 * the map a known value of that person's.
 */

/** Something of one person's to look for: lower-case text, found as a substring of a column's text form. */
export interface Needle {
  text: string;
  label: string;
  /** A keyed hash (blind index) of the person's number or address, or a value of theirs. */
  kind: 'hash' | 'value';
}

export interface Hit {
  /** `table.column` for the public schema, `schema.table.column` elsewhere. */
  column: string;
  needle: Needle;
}

/** The subjects whose columns an erasure request or the retention purge must clear. */
export const ERASED_SUBJECTS: readonly SubjectCategory[] = ['callers', 'requesters'];

/** Every personal column of the map that belongs (also) to callers or requesters, in map order. */
export function subjectColumns(): ClassifiedColumn[] {
  return personalColumns().filter((c) => c.subjects.some((s) => ERASED_SUBJECTS.includes(s)));
}

/** Personal columns of members and operators only: not a caller's or requester's data. */
export function memberOnlyColumns(): string[] {
  return personalColumns()
    .filter((c) => !c.subjects.some((s) => ERASED_SUBJECTS.includes(s)))
    .map((c) => `${c.table}.${c.column}`);
}

/**
 * A person's number and address, as given and as the database may hold them:
 * the value, the number's digits, and the keyed hashes (src/lib/crypto.ts
 * keyedHash) in hex, in PostgreSQL's bytea text form and in base64.
 */
export function subjectNeedles(blindIndexKey: Buffer, phone: string, email: string): Needle[] {
  const needles: Needle[] = [
    { text: phone.toLowerCase(), label: 'phone number', kind: 'value' },
    { text: phone.replace(/\D/g, ''), label: 'phone number (digits)', kind: 'value' },
    { text: email.toLowerCase(), label: 'e-mail address', kind: 'value' },
  ];
  for (const [what, hash] of [
    ['phone', keyedHash(blindIndexKey, 'phone', phone)],
    ['e-mail', keyedHash(blindIndexKey, 'email', email)],
  ] as const) {
    needles.push(
      { text: hash.toString('hex'), label: `${what} keyed hash (hex)`, kind: 'hash' },
      { text: `\\x${hash.toString('hex')}`, label: `${what} keyed hash (bytea)`, kind: 'hash' },
      { text: hash.toString('base64').toLowerCase(), label: `${what} keyed hash (base64)`, kind: 'hash' },
    );
  }
  return needles;
}

export interface CatalogueColumn {
  schema: string;
  table: string;
  column: string;
  type: string;
}

/** Every column of every table outside PostgreSQL's own schemas (public, app, auth, ...). */
export async function wholeCatalogue(db: ServiceDb): Promise<CatalogueColumn[]> {
  return db<CatalogueColumn[]>`
    select c.table_schema as schema, c.table_name as table, c.column_name as column, c.udt_name as type
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where t.table_type = 'BASE TABLE' and c.table_schema not in ('pg_catalog', 'information_schema')
      and c.table_schema not like 'pg\\_%'
    order by c.table_schema, c.table_name, c.ordinal_position`;
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
const columnName = (schema: string, table: string, column: string) => (schema === 'public' ? `${table}.${column}` : `${schema}.${table}.${column}`);

/**
 * Every column, of every row of every table, whose text form holds one of the
 * needles (case-insensitive). Each column and needle once.
 */
export async function scanDatabase(db: ServiceDb, needles: Needle[]): Promise<Hit[]> {
  const texts = [...new Set(needles.map((n) => n.text))];
  const tables = new Map<string, CatalogueColumn[]>();
  for (const c of await wholeCatalogue(db)) {
    const key = `${ident(c.schema)}.${ident(c.table)}`;
    if (!tables.has(key)) tables.set(key, []);
    tables.get(key)!.push(c);
  }
  const hits = new Map<string, Hit>();
  for (const [table, columns] of tables) {
    const select = columns.map((c, i) => `${ident(c.column)}::text as c${i}`).join(', ');
    const holds = columns.map((c) => `strpos(lower(${ident(c.column)}::text), n) > 0`).join(' or ');
    const rows = await db.unsafe<Record<string, string | null>[]>(
      `select ${select} from ${table} where exists (select 1 from unnest($1::text[]) n where ${holds})`,
      [texts],
    );
    for (const row of rows) {
      columns.forEach((c, i) => {
        const value = row[`c${i}`]?.toLowerCase();
        if (!value) return;
        for (const needle of needles) {
          if (!value.includes(needle.text)) continue;
          const column = columnName(c.schema, c.table, c.column);
          hits.set(`${column}\u0000${needle.label}`, { column, needle });
        }
      });
    }
  }
  return [...hits.values()].sort((a, b) => a.column.localeCompare(b.column) || a.needle.label.localeCompare(b.needle.label));
}

/** A column's value that can stand for the person on its own: no spaces, quotes or markup. */
const TOKEN = /^[^\s"'<>{}]{8,}$/;

/**
 * The person's rows in the tables of the map that hold callers' or
 * requesters' data: rows holding one of their needles, then, until nothing
 * changes, rows holding the id of one of their rows or the value of one of
 * their rows' identifier columns (a call's SID, a conversation id), so that
 * a transcript, a recording or a queued provider deletion is theirs through
 * their call.
 */
export async function subjectRows(db: ServiceDb, needles: Needle[]): Promise<Map<string, string[]>> {
  const tables = [...new Set(subjectColumns().map((c) => c.table))];
  const identifiers = new Map<string, string[]>();
  for (const c of subjectColumns()) {
    if (c.category !== 'identifier') continue;
    if (!identifiers.has(c.table)) identifiers.set(c.table, []);
    identifiers.get(c.table)!.push(c.column);
  }
  const known = new Set(needles.map((n) => n.text));
  const rows = new Map<string, Set<string>>(tables.map((t) => [t, new Set<string>()]));
  for (let round = 0; round < 10; round += 1) {
    const before = known.size;
    for (const table of tables) {
      const ids = identifiers.get(table) ?? [];
      const select = ['id::text as id', ...ids.map((c, i) => `${ident(c)}::text as i${i}`)].join(', ');
      const found = await db.unsafe<Record<string, string | null>[]>(
        `select ${select} from public.${ident(table)} t where exists (select 1 from unnest($1::text[]) n where strpos(lower(t::text), n) > 0)`,
        [[...known]],
      );
      for (const row of found) {
        rows.get(table)!.add(row.id!);
        known.add(row.id!.toLowerCase());
        ids.forEach((_c, i) => {
          const v = row[`i${i}`];
          if (v && TOKEN.test(v)) known.add(v.toLowerCase());
        });
      }
    }
    if (known.size === before) break;
  }
  return new Map([...rows].map(([t, ids]) => [t, [...ids]]));
}

export interface Planted {
  column: string;
  /** How the column came to hold something of the person's. */
  how: 'their number, address or keyed hash' | 'a value of their own' | 'planted';
  needles: Needle[];
}

/**
 * Gives a personal column a known value of the person's on their rows: the
 * column holds their number, address or keyed hash already (kept: erasure
 * finds them by it), or a value no one else's row has (a call SID, a
 * conversation id, a ciphertext), or else a unique marker is written into it
 * (on every row of theirs that takes it; append-only tables and check
 * constraints refuse some). Throws when none of the three is possible.
 */
export async function plantColumn(
  db: ServiceDb,
  c: { table: string; column: string },
  type: string,
  ids: string[],
  needles: Needle[],
): Promise<Planted> {
  const column = `${c.table}.${c.column}`;
  const table = `public.${ident(c.table)}`;
  const col = ident(c.column);
  if (ids.length === 0) throw new Error(`${column}: the fixture has no row of ${c.table} that belongs to the subject`);
  const read = () => db.unsafe<{ id: string; v: string | null }[]>(`select id::text as id, ${col}::text as v from ${table} where id::text = any($1::text[])`, [ids]);
  const rows = await read();

  const theirs = needles.filter((n) => rows.some((r) => r.v?.toLowerCase().includes(n.text)));
  if (theirs.length) return { column, how: 'their number, address or keyed hash', needles: theirs };

  const own: Needle[] = [];
  for (const r of rows) {
    if (!r.v || !TOKEN.test(r.v)) continue;
    const [other] = await db.unsafe<{ n: number }[]>(`select count(*)::int as n from ${table} where ${col}::text = $1 and id::text <> all($2::text[])`, [r.v, ids]);
    if (other!.n === 0) own.push({ text: r.v.toLowerCase(), label: `${column} value`, kind: 'value' });
  }
  if (own.length) return { column, how: 'a value of their own', needles: own };

  const marker = `pd-${c.table}-${c.column}-${randomBytes(6).toString('hex')}`.toLowerCase();
  let value: string | Buffer;
  let cast: string;
  let text: string;
  if (type === 'text' || type === 'varchar') [value, cast, text] = [marker, 'text', marker];
  else if (type === 'jsonb' || type === 'json') [value, cast, text] = [JSON.stringify([{ role: 'user', message: marker }]), type, marker];
  else if (type === 'bytea') [value, cast, text] = [Buffer.from(marker), 'bytea', Buffer.from(marker).toString('hex')];
  else throw new Error(`${column}: no marker for a column of type ${type}`);
  for (const r of rows) {
    try {
      await db.unsafe(`update ${table} set ${col} = $1::${cast} where id::text = $2`, [value, r.id]);
    } catch {
      // A constraint refuses the value on this row (e.g. a transcript holds content or ciphertext, never both).
    }
  }
  if (!(await read()).some((r) => r.v?.toLowerCase().includes(text))) throw new Error(`${column}: could not plant a value on the subject's rows`);
  return { column, how: 'planted', needles: [{ text, label: `planted ${column}`, kind: 'value' }] };
}

/** For every column of subjectColumns(): its known value on the subject's rows (see plantColumn). */
export async function plantEveryColumn(db: ServiceDb, needles: Needle[]): Promise<Planted[]> {
  const rows = await subjectRows(db, needles);
  const types = new Map((await wholeCatalogue(db)).filter((c) => c.schema === 'public').map((c) => [`${c.table}.${c.column}`, c.type]));
  const planted: Planted[] = [];
  for (const c of subjectColumns()) {
    const type = types.get(`${c.table}.${c.column}`);
    if (!type) throw new Error(`${c.table}.${c.column} is in the map but not in the database`);
    planted.push(await plantColumn(db, c, type, rows.get(c.table) ?? [], needles));
  }
  return planted;
}

/** What may still hold something of the person's after an erasure or purge, and why. */
export interface Exemption {
  /** `table.column`, or `table.*` for every column of a table. */
  column: string;
  /** Only the person's keyed hashes may stay there, never a value of theirs. */
  hashOnly?: true;
  reason: string;
}

/**
 * The exemptions the map gives for `kind`: callers' and requesters' columns it
 * keeps with a stated reason (erasure), or keeps for good or until an event
 * (retention); erasure requests, the record that the request was made and
 * answered (the contract); the audit log's metadata for keyed hashes
 * only (the map's reason: audit rows never hold the erased values).
 */
export function mapExemptions(kind: 'erasure' | 'retention'): Exemption[] {
  const exemptions: Exemption[] = [{ column: 'erasure_requests.*', reason: 'Erasure requests are the record that the erasure was asked for and done (Art. 5(2), 17, 19)' }];
  for (const c of subjectColumns()) {
    if (c.table === 'erasure_requests') continue;
    let reason: string | null = null;
    if (kind === 'erasure' && c.erasure.action === 'keep') reason = c.erasure.reason;
    if (kind === 'retention' && c.retention.rule === 'indefinite') reason = c.retention.reason;
    if (kind === 'retention' && c.retention.rule === 'until') reason = `kept until ${c.retention.event}`;
    if (reason === null) continue;
    exemptions.push({ column: `${c.table}.${c.column}`, reason, ...(c.table === 'audit_logs' && c.column === 'metadata' ? { hashOnly: true as const } : {}) });
  }
  return exemptions.sort((a, b) => a.column.localeCompare(b.column));
}

/** The hits no exemption covers. Members' and operators' own columns are not the person's and are left out too. */
export function unexempted(hits: Hit[], exemptions: readonly Exemption[]): Hit[] {
  const memberOnly = new Set(memberOnlyColumns());
  return hits.filter((h) => {
    if (memberOnly.has(h.column)) return false;
    const e = exemptions.find((x) => x.column === h.column || (x.column.endsWith('.*') && h.column.startsWith(x.column.slice(0, -1))));
    if (!e) return true;
    return e.hashOnly === true && h.needle.kind !== 'hash';
  });
}

/** One needle per text, its labels joined (a call SID is both the call's and its proof of consent's). */
export function mergeNeedles(needles: Needle[]): Needle[] {
  const byText = new Map<string, Needle>();
  for (const n of needles) {
    const seen = byText.get(n.text);
    if (!seen) byText.set(n.text, { ...n });
    else if (!seen.label.split(' / ').includes(n.label)) seen.label = `${seen.label} / ${n.label}`;
  }
  return [...byText.values()];
}

/** Readable lines for an assertion message. */
export function describeHits(hits: Hit[]): string[] {
  return hits.map((h) => `${h.column} still holds the subject's ${h.needle.label}`);
}
