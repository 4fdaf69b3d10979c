-- How far each organisation's audit chain has been verified: members read
-- their organisation's row; only the service role (the verification job) writes.

drop policy if exists "Members can read how far their audit chain is verified" on public.audit_chain_checkpoints;
create policy "Members can read how far their audit chain is verified" on public.audit_chain_checkpoints
  for select to authenticated using (app.is_org_member(chain_key));
