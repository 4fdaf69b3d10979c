-- Agents at ElevenLabs kept in line with ours, durably.
--
-- Every agent carries a `stop_recording` webhook tool at ElevenLabs (mid-call
-- withdrawal of consent), created through the tools API; its id is kept on the
-- agent beside the agent's own platform id, and written the same way (by the
-- backend, in the signed-in user's transaction).
--
-- What ElevenLabs last confirmed for each agent (the version of our agent
-- configuration: no voice recording, the tool attached; and the retention
-- window) is kept in app.agent_platform_sync, which only the backend's service
-- connection reaches: a user talking to the Data API cannot mark an agent as
-- in line. The agent-platform-sync job pushes every agent whose confirmed
-- state differs from what it should be, with exponential backoff, so a
-- retention change made while ElevenLabs is down reaches it later; the trust
-- check fails meanwhile.

alter table public.agents add column elevenlabs_tool_id text;
grant insert (elevenlabs_tool_id), update (elevenlabs_tool_id) on public.agents to authenticated;

create table app.agent_platform_sync (
  agent_id uuid primary key references public.agents (id) on delete cascade,
  org_id uuid not null references public.organizations (id) on delete cascade,
  -- what ElevenLabs confirmed last (null: never)
  config_version integer not null default 0,
  retention_days integer,
  pushed_at timestamptz,
  -- the queue: due when next_attempt_at has passed and the state above is not what it should be
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text,
  updated_at timestamptz not null default now()
);
create index agent_platform_sync_org_idx on app.agent_platform_sync (org_id);
create index agent_platform_sync_due_idx on app.agent_platform_sync (next_attempt_at);

create trigger agent_platform_sync_touch before update on app.agent_platform_sync
  for each row execute function app.touch_updated_at();

revoke all on app.agent_platform_sync from public, anon, authenticated;
grant select, insert, update, delete on app.agent_platform_sync to service_role;

-- A deleted agent's tool goes too, through the durable queue, like the agent.
alter table public.provider_deletions drop constraint provider_deletions_resource_type_check;
alter table public.provider_deletions add constraint provider_deletions_resource_type_check
  check (resource_type in ('recording', 'conversation', 'agent', 'tool'));

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
  if old.elevenlabs_tool_id is not null
     and pg_catalog.current_setting('app.platform_tool_deleted', true) is distinct from old.elevenlabs_tool_id then
    insert into public.provider_deletions (org_id, provider, resource_type, resource_id, reason)
      values (old.org_id, 'elevenlabs', 'tool', old.elevenlabs_tool_id, 'agent_deleted')
    on conflict (provider, resource_type, resource_id) do nothing;
  end if;
  return old;
end;
$$;

revoke all on function app.queue_agent_provider_deletion() from public;
