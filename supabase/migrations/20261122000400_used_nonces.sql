-- Single-use tokens and replay protection.
--
-- Every signed thing we accept once (a local magic link, a forget-me
-- confirmation link, a provider webhook signature) records its nonce here in
-- the same transaction that acts on it; the primary key makes a second use
-- fail. Rows past expires_at can be purged: a token that old is refused on its
-- own expiry anyway. Backend-only: no application role can see it.

create table app.used_nonces (
  kind text not null,
  nonce text not null,
  used_at timestamptz not null default now(),
  expires_at timestamptz not null,
  primary key (kind, nonce)
);
create index used_nonces_expires_idx on app.used_nonces (expires_at);

revoke all on app.used_nonces from public, anon, authenticated;
grant select, insert, delete on app.used_nonces to service_role;
