-- Deleting an agent anywhere queues its deletion at ElevenLabs.
--
-- The backend deletes the agent at ElevenLabs first and only then its row
-- (a failure there leaves our data unchanged); it marks that in the
-- transaction with app.platform_agent_deleted, and this trigger adds nothing.
-- Any other path (Supabase's Data API, an operator's SQL) gets the deletion
-- queued in provider_deletions, worked with retries like every other. Account
-- deletion has queued its agents already; the unique key keeps that row.

create or replace function app.queue_agent_provider_deletion()
returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if old.elevenlabs_agent_id is not null
     and pg_catalog.current_setting('app.platform_agent_deleted', true) is distinct from old.elevenlabs_agent_id then
    insert into public.provider_deletions (org_id, provider, resource_type, resource_id, reason)
      values (old.org_id, 'elevenlabs', 'agent', old.elevenlabs_agent_id, 'agent_deleted')
    on conflict (provider, resource_type, resource_id) do nothing;
  end if;
  return old;
end;
$$;

revoke all on function app.queue_agent_provider_deletion() from public;

create trigger agents_queue_provider_deletion before delete on public.agents
  for each row execute function app.queue_agent_provider_deletion();
