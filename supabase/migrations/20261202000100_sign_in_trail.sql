-- The sign-in trail: every sign-in is audited as auth.signed_in in each
-- organisation the person belongs to. In production Supabase Auth signs people
-- in, and what this server sees of a new sign-in is a new session: an access
-- token whose session_id claim it has not met before. The first request of a
-- session audits it once, across every replica: its keyed hash (HMAC under
-- BLIND_INDEX_KEY, never the id itself) goes into this table with
-- INSERT ... ON CONFLICT DO NOTHING, and only the request whose row went in
-- writes the audit rows, in the same transaction. Rows are kept 30 days
-- (src/auth/sign-in-trail.ts prunes older ones). Nothing here names a person:
-- a hash and a time. Only the backend's service connection reaches this table.
--
-- auth.signed_in is written by the backend only: it is deliberately not in
-- app.user_audit_actions, so a user's own token cannot append one.

create table app.sign_in_sessions (
  session_hash bytea primary key check (octet_length(session_hash) = 32),
  first_seen_at timestamptz not null default now()
);
create index sign_in_sessions_first_seen_idx on app.sign_in_sessions (first_seen_at);

revoke all on app.sign_in_sessions from public, anon, authenticated;
grant select, insert, delete on app.sign_in_sessions to service_role;
