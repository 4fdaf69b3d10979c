-- The dashboard's webhook registration form, submitted once.
--
-- The form carries a one-time random id (rendered with it). Registering an
-- endpoint from the form records (org_id, form_id) here with the endpoint's
-- id, in the same transaction as the endpoint; a second submission of the
-- same form (a browser reload re-posts it) finds the row and registers
-- nothing, and the signing secret is not shown again. The primary key keeps a
-- form id to one registration across replicas; the service also serialises
-- creates per organisation (an advisory lock), so a concurrent second
-- submission waits for the first and then finds its row.
--
-- Rows are kept a day (the webhook-deliveries job prunes older ones): a form
-- cannot be submitted again after its session has ended (sessions last an
-- hour; a new sign-in comes with a new CSRF secret, so an old form's token is
-- refused). Deleting the endpoint leaves the row (endpoint_id null), so a
-- reload after a delete registers nothing either.
--
-- Nothing here names a person. The request role reaches the table only through
-- the two functions below, which check that the caller is an owner or admin
-- of the organisation; the backend's service connection prunes it.

create table app.webhook_form_submissions (
  org_id uuid not null references public.organizations (id) on delete cascade,
  form_id uuid not null,
  endpoint_id uuid references public.webhook_endpoints (id) on delete set null,
  submitted_at timestamptz not null default now(),
  primary key (org_id, form_id)
);
create index webhook_form_submissions_submitted_idx on app.webhook_form_submissions (submitted_at);
create index webhook_form_submissions_endpoint_idx on app.webhook_form_submissions (endpoint_id);

alter table app.webhook_form_submissions enable row level security;
revoke all on app.webhook_form_submissions from public, anon, authenticated;
grant select, insert, delete on app.webhook_form_submissions to service_role;

-- Whether the form was submitted before: one row (with the endpoint it
-- registered, null when that endpoint was deleted since) or none.
create or replace function app.webhook_form_submission(p_org_id uuid, p_form_id uuid)
returns table (endpoint_id uuid)
language plpgsql stable security definer
set search_path = ''
as $$
begin
  if not app.has_org_role(p_org_id, array['owner', 'admin']) then
    raise exception 'only owners and admins register webhook endpoints' using errcode = '42501';
  end if;
  return query
    select s.endpoint_id from app.webhook_form_submissions s
    where s.org_id = p_org_id and s.form_id = p_form_id;
end
$$;

-- Records the form's submission with the endpoint it registered (an endpoint
-- of the same organisation). A second record of the same form fails (the
-- primary key), and with it the transaction that registered the endpoint.
create or replace function app.record_webhook_form_submission(p_org_id uuid, p_form_id uuid, p_endpoint_id uuid)
returns void
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  if not app.has_org_role(p_org_id, array['owner', 'admin']) then
    raise exception 'only owners and admins register webhook endpoints' using errcode = '42501';
  end if;
  if not exists (select 1 from public.webhook_endpoints e where e.id = p_endpoint_id and e.org_id = p_org_id) then
    raise exception 'no such webhook endpoint in this organisation' using errcode = '23503';
  end if;
  insert into app.webhook_form_submissions (org_id, form_id, endpoint_id) values (p_org_id, p_form_id, p_endpoint_id);
end
$$;

revoke all on function app.webhook_form_submission(uuid, uuid) from public;
revoke all on function app.record_webhook_form_submission(uuid, uuid, uuid) from public;
grant execute on function app.webhook_form_submission(uuid, uuid) to authenticated;
grant execute on function app.record_webhook_form_submission(uuid, uuid, uuid) to authenticated;
