-- Issue 15, for organisations: legal holds (Art. 17(3)), rectification of
-- leads (Art. 16), and a log per erasure request of the identity check it
-- passed, when it was verified, and its deadline (one month from verification).

-- Legal holds -------------------------------------------------------------------
-- An organisation keeps a person's data despite an erasure request, for a
-- stated reason (Art. 17(3): a legal obligation, or legal claims). The person
-- is named by the keyed hash (blind index) of their number or address, as
-- erasure requests name them, plus a masked hint the organisation recognises
-- them by (e.g. "•••• 6789", "e•••@example.com"); never the value itself.
-- Once the hold has ended and the held erasure ran, the hash and the hint are
-- cleared: the row stays as the record of the hold (reason, dates, who).
create table public.legal_holds (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  subject_type text not null check (subject_type in ('email', 'phone')),
  subject_hash bytea,
  subject_hint text,
  reason text not null check (char_length(btrim(reason)) between 5 and 2000),
  held_until timestamptz,
  placed_by uuid,
  placed_at timestamptz not null default now(),
  ended_at timestamptz,
  ended_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (ended_at is not null or subject_hash is not null)
);
create index legal_holds_org_id_idx on public.legal_holds (org_id, placed_at desc);
create index legal_holds_subject_hash_idx on public.legal_holds (subject_hash) where subject_hash is not null;
create trigger legal_holds_touch before update on public.legal_holds
  for each row execute function app.touch_updated_at();

-- What an erasure request skipped in an organisation because of a hold, and
-- when it was carried out after the hold ended: the request stays open for
-- that organisation until erased_at is set.
create table public.erasure_request_holds (
  id uuid primary key default gen_random_uuid(),
  request_id uuid not null references public.erasure_requests (id) on delete cascade,
  org_id uuid not null references public.organizations (id) on delete cascade,
  hold_id uuid references public.legal_holds (id) on delete set null,
  -- the hold's reason and end as the requester was told them
  reason text not null,
  held_until timestamptz,
  -- what the organisation keeps (counts only), for the requester's notice
  held_counts jsonb not null default '{}'::jsonb,
  held_at timestamptz not null default now(),
  erased_at timestamptz,
  erased_counts jsonb,
  unique (request_id, org_id)
);
create index erasure_request_holds_org_id_idx on public.erasure_request_holds (org_id);
create index erasure_request_holds_hold_id_idx on public.erasure_request_holds (hold_id);
create index erasure_request_holds_open_idx on public.erasure_request_holds (held_at) where erased_at is null;

alter table public.legal_holds enable row level security;
alter table public.erasure_request_holds enable row level security;
revoke all on public.legal_holds, public.erasure_request_holds from public, anon, authenticated, service_role;
grant select on public.legal_holds to authenticated;
grant insert (org_id, subject_type, subject_hash, subject_hint, reason, held_until, placed_by) on public.legal_holds to authenticated;
grant update (ended_at, ended_by) on public.legal_holds to authenticated;
grant select on public.erasure_request_holds to authenticated;
grant select, insert, update, delete on public.legal_holds, public.erasure_request_holds to service_role;

-- Request log -------------------------------------------------------------------
-- Which identity check a request passed (email_link, sms_code; organization
-- for requests an organisation files itself, and account deletions), and when.
-- The deadline (due_at) runs from verification: an unconfirmed public request
-- has none yet (null), so the month does not run while identity is unproven.
alter table public.erasure_requests
  add column identity_check text check (identity_check in ('email_link', 'sms_code', 'organization')),
  add column verified_at timestamptz;
alter table public.erasure_requests alter column due_at drop not null;

-- Backfill: confirmed public requests passed the check of their subject's kind
-- (an address by link, a number by SMS code), when they were confirmed;
-- requests the organisation filed were verified by it when filed.
update public.erasure_requests
   set identity_check = case when source = 'public'
                             then case subject_type when 'email' then 'email_link' else 'sms_code' end
                             else 'organization' end,
       verified_at = coalesce(confirmed_at, received_at)
 where confirmed_at is not null or source <> 'public';
-- The deadline runs from verification (left as it is where the requester was
-- already told of an extension, which was computed from it).
update public.erasure_requests
   set due_at = verified_at + interval '1 month'
 where source = 'public' and verified_at is not null and extended_until is null;
update public.erasure_requests set due_at = null where verified_at is null;

alter table public.erasure_requests
  add constraint erasure_requests_verified_check check ((verified_at is null) = (identity_check is null)),
  add constraint erasure_requests_due_check check (verified_at is null or due_at is not null);

-- A request an organisation files (the dashboard, an account deletion) is
-- verified by the organisation as it is filed.
create or replace function app.erasure_request_identity()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.source <> 'public' then
    new.identity_check := 'organization';
    new.verified_at := coalesce(new.confirmed_at, new.received_at);
  end if;
  return new;
end
$$;
revoke all on function app.erasure_request_identity() from public;
create trigger erasure_requests_identity before insert on public.erasure_requests
  for each row execute function app.erasure_request_identity();

-- Rectification -----------------------------------------------------------------
-- Owners and admins correct a lead's name, number, address and notes, and the
-- keyed hashes that go with them (computed by the backend).
grant update (name, phone, phone_hash, email, email_hash, notes) on public.leads to authenticated;

-- Audit actions a user's own token appends ------------------------------------
insert into app.user_audit_actions (action, target_type) values
  ('lead.updated', 'lead'),
  ('legal_hold.placed', 'legal_hold'),
  ('legal_hold.ended', 'legal_hold'),
  ('legal_holds.listed', 'organization')
on conflict (action) do nothing;
