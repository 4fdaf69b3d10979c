-- How far each audit hash chain has been verified, so that no request has to
-- walk an organisation's whole history.
--
-- The `audit-chain-verify` job (src/audit/audit-checkpoints.ts) extends each
-- chain's checkpoint over the entries added since its last run, in bounded
-- batches, and re-verifies every chain from its first entry in bounded steps
-- (the sweep), so that an entry edited behind the checkpoint around the rules
-- is found too. The checkpoint keeps the hash of the last verified entry: a
-- rewrite of the chain up to or past it changes that entry's hash, which the
-- trust check and the job see at once. `GET /api/orgs/:orgId/trust` only reads
-- this row and verifies at most a bounded number of entries after it (50).
--
-- Written by the service role only; members of an organisation may read their
-- organisation's row (the platform chain, the nil uuid, is nobody's).

create table public.audit_chain_checkpoints (
  -- audit_logs.chain_key: the organisation's id, or the nil uuid for platform events
  chain_key uuid primary key,
  -- every entry from #1 to #verified_index is linked and hashes to its row_hash
  verified_index bigint not null default 0 check (verified_index >= 0),
  -- row_hash and id of entry #verified_index (null while nothing is verified)
  verified_hash text,
  verified_row_id uuid,
  -- when the job last confirmed the chain up to verified_index
  verified_at timestamptz,
  -- the sweep: a walk from entry #1 up to verified_index, resumed run after run
  sweep_index bigint not null default 0 check (sweep_index >= 0),
  sweep_hash text,
  sweep_started_at timestamptz,
  -- the last completed sweep: when it started, and the entry it reached
  full_verified_at timestamptz,
  full_verified_index bigint,
  -- the first broken link found (lowest entry number); kept until an operator
  -- has investigated and removes this row (runbooks/incident-response.md)
  broken_index bigint,
  broken_row_id uuid,
  broken_problem text check (broken_problem in ('content_changed', 'prev_hash_mismatch', 'missing_rows', 'checkpoint_changed')),
  broken_found_at timestamptz,
  updated_at timestamptz not null default now(),
  check ((broken_index is null) = (broken_problem is null) and (broken_problem is null) = (broken_found_at is null))
);

alter table public.audit_chain_checkpoints enable row level security;
revoke all on public.audit_chain_checkpoints from public, anon, authenticated, service_role;
grant select on public.audit_chain_checkpoints to authenticated;
grant select, insert, update, delete on public.audit_chain_checkpoints to service_role;
