-- Deleting a call or a recording anywhere queues its deletion at the providers.
--
-- Owners and admins may delete calls and recordings (see the grants in the schema),
-- also straight through Supabase's Data API, which never passes through our
-- backend. The backend queues the Twilio recording and the ElevenLabs
-- conversation before it deletes a row; these triggers make the database do the
-- same for any other path, so a row cannot go while its copy at the provider is
-- forgotten. Where the backend has queued it already, the unique key
-- (provider, resource_type, resource_id) keeps that row, with its reason and
-- erasure request, and the trigger adds nothing. Security definer: the queue is
-- not writable by users.

create or replace function app.queue_call_provider_deletions()
returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  insert into public.provider_deletions (org_id, provider, resource_type, resource_id, reason)
    select r.org_id, 'twilio', 'recording', r.twilio_recording_sid, 'call_deleted'
    from public.recordings r
    where r.call_id = old.id and r.deleted_at is null
  on conflict (provider, resource_type, resource_id) do nothing;
  if old.elevenlabs_conversation_id is not null then
    insert into public.provider_deletions (org_id, provider, resource_type, resource_id, reason)
      values (old.org_id, 'elevenlabs', 'conversation', old.elevenlabs_conversation_id, 'call_deleted')
    on conflict (provider, resource_type, resource_id) do nothing;
  end if;
  return old;
end;
$$;

create or replace function app.queue_recording_provider_deletion()
returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if old.deleted_at is null then
    insert into public.provider_deletions (org_id, provider, resource_type, resource_id, reason)
      values (old.org_id, 'twilio', 'recording', old.twilio_recording_sid, 'call_deleted')
    on conflict (provider, resource_type, resource_id) do nothing;
  end if;
  return old;
end;
$$;

revoke all on function app.queue_call_provider_deletions() from public;
revoke all on function app.queue_recording_provider_deletion() from public;

create trigger calls_queue_provider_deletions before delete on public.calls
  for each row execute function app.queue_call_provider_deletions();
create trigger recordings_queue_provider_deletion before delete on public.recordings
  for each row execute function app.queue_recording_provider_deletion();
