-- (Keeps recording.downloaded, added by 20261201000410.)
-- The organisation's leads can be read through the API and the dashboard
-- (GET /api/orgs/:orgId/leads, /app/orgs/:orgId/leads): both show personal
-- data, so each read is audited in the reader's own transaction, as
-- leads.listed (the organisation is the target) and lead.read (the lead).
-- Those two actions join the ones a user's audit row may carry.

create or replace function app.user_audit_target_type(p_action text)
returns text
language sql immutable
set search_path = ''
as $$
  select case p_action
    when 'organization.created' then 'organization'
    when 'organization.updated' then 'organization'
    when 'privacy_preferences.updated' then 'organization'
    when 'member.invited' then 'user'
    when 'member.role_changed' then 'user'
    when 'member.removed' then 'user'
    when 'agent.created' then 'agent'
    when 'agent.updated' then 'agent'
    when 'agent.deleted' then 'agent'
    when 'call.read' then 'call'
    when 'call.deleted' then 'call'
    when 'recording.downloaded' then 'recording'
    when 'leads.listed' then 'organization'
    when 'lead.read' then 'lead'
    when 'erasure.requested' then 'erasure_request'
    when 'export.created' then 'export'
    when 'webhook_endpoint.created' then 'webhook_endpoint'
    when 'webhook_endpoint.deleted' then 'webhook_endpoint'
    when 'subprocessor.objected' then 'subprocessor'
  end
$$;
