-- The actions a user's own audit row may carry, and the target type each one
-- names, move from a CASE expression into a table. Until now every migration
-- that added an action had to restate the whole list (and a migration that
-- missed one silently dropped it); from here on a migration adds its actions
-- with one INSERT. The table lives in the private `app` schema: the Data API
-- cannot reach it, and only app.may_append_audit (security definer) reads it.

create table app.user_audit_actions (
  action text primary key check (action ~ '^[a-z_]+\.[a-z_]+$'),
  target_type text not null check (target_type ~ '^[a-z_]+$')
);

revoke all on table app.user_audit_actions from public;

insert into app.user_audit_actions (action, target_type) values
  ('organization.created', 'organization'),
  ('organization.updated', 'organization'),
  ('privacy_preferences.updated', 'organization'),
  ('member.invited', 'user'),
  ('member.role_changed', 'user'),
  ('member.removed', 'user'),
  ('agent.created', 'agent'),
  ('agent.updated', 'agent'),
  ('agent.deleted', 'agent'),
  ('call.read', 'call'),
  ('call.deleted', 'call'),
  ('recording.downloaded', 'recording'),
  ('leads.listed', 'organization'),
  ('lead.read', 'lead'),
  ('erasure.requested', 'erasure_request'),
  ('export.created', 'export'),
  ('webhook_endpoint.created', 'webhook_endpoint'),
  ('webhook_endpoint.deleted', 'webhook_endpoint'),
  ('subprocessor.objected', 'subprocessor');

create or replace function app.user_audit_target_type(p_action text)
returns text
language sql stable
set search_path = ''
as $$
  select a.target_type from app.user_audit_actions a where a.action = p_action
$$;

revoke all on function app.user_audit_target_type(text) from public;
