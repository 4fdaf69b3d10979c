-- Members download a call's recording (GET /api/orgs/:orgId/calls/:callId/recording),
-- audited in their own transaction as recording.downloaded (ids only): that action
-- joins the ones a user's audit row may carry.

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
    when 'erasure.requested' then 'erasure_request'
    when 'export.created' then 'export'
    when 'webhook_endpoint.created' then 'webhook_endpoint'
    when 'webhook_endpoint.deleted' then 'webhook_endpoint'
    when 'subprocessor.objected' then 'subprocessor'
  end
$$;
