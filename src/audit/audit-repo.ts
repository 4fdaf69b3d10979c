/**
 * SQL for public.audit_logs: the append-only, hash-chained audit log. The
 * database links each new row into its organisation's chain; nothing here
 * changes or deletes a row. Each function takes the transaction or connection
 * to run on (a user's transaction runs under RLS).
 */
import type { ServiceDb, Tx } from '../db/database.js';
import type { BrokenLink } from './audit-verify.js';

type Db = ServiceDb | Tx;

/** One audit row as written (see writeAudit in audit.ts, which checks the metadata first). */
export interface AuditLogInsert {
  orgId: string | null;
  actorType: string;
  actorId: string | null;
  actingAsId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  requestId: string | null;
  ip: string | null;
  metadata: Record<string, unknown>;
}

export function insertAuditLog(db: Db, r: AuditLogInsert) {
  return db`
    insert into public.audit_logs
      (org_id, actor_type, actor_id, acting_as_id, action, target_type, target_id, request_id, ip, metadata)
    values
      (${r.orgId}, ${r.actorType}, ${r.actorId}, ${r.actingAsId}, ${r.action},
       ${r.targetType}, ${r.targetId}, ${r.requestId}, ${r.ip},
       ${db.json(r.metadata as never)})`;
}

/** An organisation's audit entries, newest first, before entry #before when given (under RLS). */
export function listOrgEntries(tx: Tx, orgId: string, q: { before?: number; limit: number }) {
  return tx`
        select id, chain_index::int8 as sequence, actor_type, actor_id, acting_as_id, action, target_type, target_id,
               request_id, ip, metadata, created_at
        from public.audit_logs
        where chain_key = ${orgId} and org_id = ${orgId} ${q.before ? tx`and chain_index < ${q.before}` : tx``}
        order by chain_index desc
        limit ${q.limit}`;
}

/** Every entry (or one chain's) with its recomputed hash, chain by chain in order, 1000 rows at a time. */
export function auditRowsCursor(serviceDb: ServiceDb, orgId: string | undefined) {
  const filter = orgId ? serviceDb`where a.chain_key = ${orgId}` : serviceDb``;
  return serviceDb`
    select a.id, a.chain_key, a.chain_index::text as chain_index, a.prev_hash, a.row_hash,
           app.audit_row_hash(a) as computed
    from public.audit_logs a ${filter}
    order by a.chain_key, a.chain_index`.cursor(1000);
}

/** The judgement of entries #from+1 to #from+maxEntries of one chain (see verifyChainSegment in audit-verify.ts). */
export function verifySegment(db: Db, chainKey: string, from: { index: string; hash: string | null }, maxEntries: number) {
  return db<{ checked: number; last_index: string | null; last_hash: string | null; last_id: string | null; broken_index: string | null; broken_id: string | null; problem: BrokenLink['problem'] | null }[]>`
    with segment as (
      select a.id, a.chain_index, a.prev_hash, a.row_hash, app.audit_row_hash(a) as computed
      from public.audit_logs a
      where a.chain_key = ${chainKey} and a.chain_index > ${from.index}::bigint and a.chain_index <= ${from.index}::bigint + ${maxEntries}
    ), linked as (
      select s.*,
        lag(s.chain_index) over w as before_index,
        lag(s.row_hash) over w as before_hash
      from segment s window w as (order by s.chain_index)
    ), judged as (
      select l.id, l.chain_index, l.row_hash,
        case
          when l.computed <> l.row_hash then 'content_changed'
          when l.chain_index <> coalesce(l.before_index, ${from.index}::bigint) + 1 then 'missing_rows'
          when l.prev_hash is distinct from (case when l.before_index is null then ${from.hash}::text else l.before_hash end) then 'prev_hash_mismatch'
        end as problem
      from linked l
    ), last as (
      select chain_index, row_hash, id from judged order by chain_index desc limit 1
    ), first_broken as (
      select chain_index, id, problem from judged where problem is not null order by chain_index limit 1
    )
    select (select count(*)::int from judged) as checked,
      (select chain_index::text from last) as last_index, (select row_hash from last) as last_hash, (select id from last) as last_id,
      (select chain_index::text from first_broken) as broken_index, (select id from first_broken) as broken_id,
      (select problem from first_broken) as problem`;
}

/** The first entry of a chain after entry #index, if any (one index lookup). */
export function nextEntryAfter(db: Db, chainKey: string, index: string) {
  return db<{ chain_index: string; id: string; prev_hash: string | null }[]>`
    select a.chain_index::text as chain_index, a.id, a.prev_hash from public.audit_logs a
    where a.chain_key = ${chainKey} and a.chain_index > ${index}::bigint
    order by a.chain_index limit 1`;
}
