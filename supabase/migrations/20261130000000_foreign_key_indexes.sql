-- Indexes on foreign keys that had none.
--
-- Without them a delete of the referenced row (an agent, a phone number, an
-- organisation, a user) scans the referencing table, and joins along the key
-- cannot use an index. These are the keys Supabase's Performance Advisor lists
-- as unindexed_foreign_keys.

create index if not exists calls_agent_id_idx on public.calls (agent_id);
create index if not exists calls_phone_number_id_idx on public.calls (phone_number_id);
create index if not exists impersonations_org_id_idx on public.impersonations (org_id);
create index if not exists impersonations_target_user_id_idx on public.impersonations (target_user_id);
create index if not exists subprocessor_notices_user_id_idx on public.subprocessor_notices (user_id);
