#!/usr/bin/env bash
# A database shaped like a current hosted Supabase project, in a private
# PostgreSQL 15 cluster of its own (roles are cluster-wide, so this never runs
# on a shared cluster): initdb into a temporary folder, its own port.
#
# It proves what tests on a superuser connection cannot: that the migrations
# run as Supabase's non-superuser `postgres`, leave Supabase's own objects
# alone, and keep the grants of tables the customer already had in `public`.
#
# Usage: scripts/supabase-shaped-db.sh [command]
#   start       build and start the cluster (default); prints the URL for `postgres`
#   url         the connection URL of the non-superuser `postgres` (DATABASE_URL)
#   admin-url   the connection URL of the bootstrap superuser `supabase_admin`
#   env         shell lines: DATABASE_URL, SUPABASE_SHAPED_ADMIN_URL, PGTAP_CUSTOMER_TABLES
#   check       fail unless everything the project must not touch is as `start`
#               left it: the customer's table and its grants, the auth schema and
#               its objects, the extensions schema, the roles
#   status      whether the cluster is running
#   stop        stop the cluster and delete its folder
# Environment:
#   SUPABASE_SHAPED_PORT   default 54329
#   SUPABASE_SHAPED_DIR    default ${TMPDIR:-/tmp}/supabase-shaped-db-<port>
#   PG_BIN                 default /usr/lib/postgresql/15/bin
# Run as root (CI), the cluster runs as the OS user `postgres` (runuser);
# otherwise as the calling user.
#
# Example (a developer):
#   scripts/supabase-shaped-db.sh start
#   DATABASE_URL="$(scripts/supabase-shaped-db.sh url)" npm run db:migrate
#   scripts/supabase-shaped-db.sh check
#   scripts/supabase-shaped-db.sh stop
#
# ---------------------------------------------------------------------------
# The facts this is written from (Supabase builds its projects' databases from
# https://github.com/supabase/postgres, migrations/db/; paths below are there):
#
# - `postgres` is not a superuser: NOSUPERUSER CREATEDB CREATEROLE LOGIN
#   REPLICATION BYPASSRLS (migrations/10000000000000_demote-postgres.sql).
#   The superuser is `supabase_admin` (init-scripts/00000000000000-initial-schema.sql).
# - Roles anon and authenticated (NOLOGIN), service_role (NOLOGIN BYPASSRLS),
#   authenticator (LOGIN NOINHERIT, member of all three) (initial-schema);
#   the three are INHERIT since migrations/20230529180330_alter_api_roles_for_inherit.sql.
#   `postgres` is a member of anon, authenticated and service_role
#   (migrations/20230201083204_grant_auth_roles_to_postgres.sql).
# - `postgres` has CONNECT, TEMPORARY and CREATE on the database, CREATE and
#   USAGE on `public` and on `extensions`; anon, authenticated and service_role
#   USAGE on both (migrations/tests/database/privs.sql; demote-postgres).
# - A table `postgres` creates in `public` gets every privilege for anon,
#   authenticated and service_role (privs.sql: table_privs_are(... 'anon',
#   DELETE INSERT REFERENCES SELECT TRIGGER TRUNCATE UPDATE)): default
#   privileges for tables, functions and sequences in `public`
#   (initial-schema; "Tables and functions that you create get the default
#   privileges of postgres":
#   https://supabase.com/docs/guides/troubleshooting/cant-change-the-default-privileges-of-supabase_admin-in-the-public-schema).
#   Projects created since 30 May 2026, and all projects since 30 October 2026,
#   may have these defaults switched off (https://supabase.com/changelog); the
#   migrations must hold either way, and with them on is the harder case (every
#   table is born open), so this database keeps them on.
# - Schema `auth` belongs to supabase_admin, its tables and the functions
#   auth.uid(), auth.role(), auth.email() to supabase_auth_admin
#   (init-scripts/00000000000001-auth-schema.sql,
#   migrations/20211115181400_update-auth-permissions.sql,
#   migrations/20211124212715_update-auth-owner.sql); auth.jwt() is created by
#   Supabase Auth as supabase_auth_admin
#   (https://github.com/supabase/auth migrations/20220531120530_add_auth_jwt_function.up.sql,
#   bodies of uid/role from 20220224000811_update_auth_functions.up.sql).
#   `postgres` has USAGE on `auth` and all privileges on its tables and
#   routines (update-auth-permissions), but no longer CREATE on it and is no
#   longer a member of supabase_auth_admin
#   (migrations/20250421084701_revoke_admin_roles_from_postgres.sql).
# - pgcrypto and uuid-ossp are installed in schema `extensions` (initial-schema);
#   `postgres`'s search_path is "$user", public, extensions
#   (init-scripts/00000000000003-post-setup.sql).
# ---------------------------------------------------------------------------
set -euo pipefail

PORT="${SUPABASE_SHAPED_PORT:-54329}"
DIR="${SUPABASE_SHAPED_DIR:-${TMPDIR:-/tmp}/supabase-shaped-db-$PORT}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
DATA="$DIR/data"
RUN="$DIR/run"
LOG="$DIR/postgres.log"
PWFILE="$DIR/password"
SNAPSHOT="$DIR/untouchable.txt"
MARKER="$DIR/.supabase-shaped-db"
CUSTOMER_TABLES="public.customer_notes"

die() { printf 'supabase-shaped-db: %s\n' "$*" >&2; exit 1; }

# Deletes the folder only if this script made it (or it is empty).
remove_dir() {
  [[ -e "$DIR" ]] || return 0
  if [[ -f "$MARKER" ]] || [[ -d "$DIR" && -z "$(ls -A "$DIR")" ]]; then
    rm -rf "$DIR"
  else
    die "$DIR exists and was not made by this script; not deleting it (set SUPABASE_SHAPED_DIR)"
  fi
}

# The cluster's processes never run as root: as root, run them as `postgres`.
if [[ "$(id -u)" == 0 ]]; then
  OS_USER=postgres
  as_cluster_user() { runuser -u "$OS_USER" -- "$@"; }
else
  OS_USER="$(id -un)"
  as_cluster_user() { "$@"; }
fi

password() { [[ -f "$PWFILE" ]] || die "no cluster in $DIR (run: $0 start)"; cat "$PWFILE"; }
url_for() { printf 'postgres://%s:%s@127.0.0.1:%s/postgres\n' "$1" "$(password)" "$PORT"; }
running() { [[ -f "$DATA/postmaster.pid" ]] && as_cluster_user "$PG_BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }
admin_psql() { PGPASSWORD="$(password)" psql -X -q -v ON_ERROR_STOP=1 --no-password -h 127.0.0.1 -p "$PORT" -U supabase_admin -d postgres "$@"; }

# Everything the project's migrations must leave exactly as it was: owners,
# privileges and definitions of Supabase's objects and of the customer's table.
untouchable() {
  admin_psql -tA <<'SQL'
select 'role ' || rolname || ' super=' || rolsuper || ' inherit=' || rolinherit || ' createrole=' || rolcreaterole
       || ' createdb=' || rolcreatedb || ' login=' || rolcanlogin || ' replication=' || rolreplication
       || ' bypassrls=' || rolbypassrls
  from pg_roles where rolname in ('postgres', 'supabase_admin', 'supabase_auth_admin', 'authenticator', 'anon', 'authenticated', 'service_role')
union all
select 'member ' || r.rolname || ' of ' || g.rolname || ' admin=' || m.admin_option
  from pg_auth_members m join pg_roles r on r.oid = m.member join pg_roles g on g.oid = m.roleid
 where r.rolname in ('postgres', 'authenticator', 'anon', 'authenticated', 'service_role')
union all
select 'schema ' || nspname || ' owner=' || nspowner::regrole || ' acl=' || coalesce(nspacl::text, '-')
  from pg_namespace where nspname in ('auth', 'extensions', 'public')
union all
select 'relation ' || c.oid::regclass || ' kind=' || c.relkind::text || ' owner=' || c.relowner::regrole
       || ' acl=' || coalesce(c.relacl::text, '-') || ' rls=' || c.relrowsecurity
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
 where n.nspname = 'auth' or (n.nspname = 'public' and c.relname like 'customer_notes%')
union all
select 'policy ' || schemaname || '.' || tablename || ' ' || policyname || ' ' || cmd || ' ' || roles::text || ' ' || coalesce(qual, '')
  from pg_policies where schemaname = 'auth' or (schemaname = 'public' and tablename = 'customer_notes')
union all
select 'function ' || p.oid::regprocedure || ' owner=' || p.proowner::regrole || ' acl=' || coalesce(p.proacl::text, '-')
       || ' body=' || md5(p.prosrc)
  from pg_proc p where p.pronamespace = 'auth'::regnamespace
union all
select 'extension ' || e.extname || ' schema=' || e.extnamespace::regnamespace || ' owner=' || e.extowner::regrole
  from pg_extension e where e.extname in ('pgcrypto', 'uuid-ossp')
order by 1;
SQL
}

cmd_start() {
  if running; then
    echo "supabase-shaped-db: already running on port $PORT ($DIR)" >&2
    url_for postgres
    return
  fi
  [[ -x "$PG_BIN/initdb" ]] || die "no PostgreSQL 15 server binaries in $PG_BIN (apt-get install postgresql-15)"
  command -v psql >/dev/null || die "psql not found (apt-get install postgresql-client)"
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    die "port $PORT is taken (set SUPABASE_SHAPED_PORT)"
  fi

  remove_dir
  mkdir -p "$DIR"
  touch "$MARKER"
  chmod 755 "$DIR"
  mkdir -p "$DATA" "$RUN"
  touch "$LOG"
  od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$PWFILE"
  chmod 600 "$PWFILE"
  local pw
  pw="$(cat "$PWFILE")"
  chown "$OS_USER" "$DATA" "$RUN" "$LOG"
  chmod 700 "$DATA" "$RUN"

  # The bootstrap superuser is supabase_admin, as on Supabase; only it and the
  # roles made below exist. Password logins over TCP only.
  local pwtmp="$RUN/bootstrap-password"
  as_cluster_user sh -c "umask 077; printf '%s\n' '$pw' >'$pwtmp'"
  local locale=(--no-locale)
  locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$' && locale=(--locale=C.UTF-8)
  as_cluster_user "$PG_BIN/initdb" -D "$DATA" -U supabase_admin --pwfile="$pwtmp" \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 "${locale[@]}" >/dev/null
  rm -f "$pwtmp"
  as_cluster_user "$PG_BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
    -o "-c port=$PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$RUN -c fsync=off -c max_connections=100" \
    start >/dev/null || { cat "$LOG" >&2; die "the cluster did not start"; }

  admin_psql -v pw="$pw" <<'SQL'
set client_min_messages = warning;

-- Roles -----------------------------------------------------------------------
create role postgres with login nosuperuser createdb createrole replication bypassrls inherit password :'pw';
create role anon nologin inherit;
create role authenticated nologin inherit;
create role service_role nologin inherit bypassrls;
create role authenticator login noinherit password :'pw';
grant anon, authenticated, service_role to authenticator;
create role supabase_auth_admin login noinherit createrole password :'pw';
grant anon, authenticated, service_role to postgres;
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role postgres set search_path = "$user", public, extensions;

-- The database and schema public ------------------------------------------------
grant all on database postgres to postgres;
grant usage, create on schema public to postgres;
grant usage on schema public to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public grant all on sequences to postgres, anon, authenticated, service_role;

-- Extensions --------------------------------------------------------------------
create schema extensions;
create extension pgcrypto with schema extensions;
create extension "uuid-ossp" with schema extensions;
grant usage on schema extensions to anon, authenticated, service_role;
grant usage, create on schema extensions to postgres;

-- Supabase Auth's schema ------------------------------------------------------------
create schema auth authorization supabase_admin;
grant usage on schema auth to anon, authenticated, service_role;
grant all on schema auth to supabase_auth_admin;
grant usage on schema auth to postgres;

set role supabase_auth_admin;
create table auth.users (
  instance_id uuid,
  id uuid not null primary key,
  aud varchar(255),
  role varchar(255),
  email varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  invited_at timestamptz,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  is_super_admin boolean,
  created_at timestamptz,
  updated_at timestamptz,
  phone text unique,
  is_anonymous boolean not null default false
);
create function auth.uid() returns uuid language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;
create function auth.role() returns text language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;
create function auth.email() returns text language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;
create function auth.jwt() returns jsonb language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;
reset role;
grant all on all tables in schema auth to postgres;
grant all on all routines in schema auth to postgres;

-- The customer's own table, made before our migrations ever ran: created by
-- `postgres` (as the dashboard does), so the default privileges above grant
-- anon, authenticated and service_role everything on it and its sequence.
set role postgres;
create table public.customer_notes (
  id bigint generated by default as identity primary key,
  body text not null,
  created_at timestamptz not null default now()
);
alter table public.customer_notes enable row level security;
create policy "Anyone can read notes" on public.customer_notes for select to anon, authenticated using (true);
insert into public.customer_notes (body) values ('written before the voice backend was installed');
reset role;
SQL

  # Sanity: the shape holds (so a mistake here cannot make CI pass vacuously).
  local shape
  shape="$(admin_psql -tA <<'SQL'
select concat_ws(' ',
  (select not rolsuper and rolcreatedb and rolcreaterole and rolreplication and rolbypassrls from pg_roles where rolname = 'postgres'),
  has_schema_privilege('postgres', 'auth', 'USAGE'),
  not has_schema_privilege('postgres', 'auth', 'CREATE'),
  (select nspowner::regrole::text = 'supabase_admin' from pg_namespace where nspname = 'auth'),
  (select relowner::regrole::text = 'supabase_auth_admin' from pg_class where oid = 'auth.users'::regclass),
  (select bool_and(proowner::regrole::text = 'supabase_auth_admin') from pg_proc where pronamespace = 'auth'::regnamespace),
  (select extnamespace::regnamespace::text = 'extensions' from pg_extension where extname = 'pgcrypto'),
  has_table_privilege('anon', 'public.customer_notes', 'SELECT,INSERT,UPDATE,DELETE'),
  has_table_privilege('authenticated', 'public.customer_notes', 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE'))
SQL
)"
  [[ "$shape" == "t t t t t t t t t" ]] || die "the database does not have the intended shape: $shape"

  untouchable >"$SNAPSHOT"
  echo "supabase-shaped-db: PostgreSQL 15 on 127.0.0.1:$PORT (folder $DIR); connect as the non-superuser postgres:" >&2
  url_for postgres
}

cmd_check() {
  running || die "not running (run: $0 start)"
  [[ -f "$SNAPSHOT" ]] || die "no snapshot in $DIR"
  local now
  now="$(untouchable)"
  if ! diff -u --label "as built" --label "now" "$SNAPSHOT" - <<<"$now"; then
    die "objects the project must not touch have changed (lines above)"
  fi
  # Said outright for the customer's table, whatever the snapshot holds.
  local grants
  grants="$(admin_psql -tA -c "select has_table_privilege('anon', 'public.customer_notes', 'SELECT,INSERT,UPDATE,DELETE')
    and has_table_privilege('authenticated', 'public.customer_notes', 'SELECT,INSERT,UPDATE,DELETE')
    and has_table_privilege('service_role', 'public.customer_notes', 'SELECT,INSERT,UPDATE,DELETE')
    and has_sequence_privilege('authenticated', 'public.customer_notes_id_seq', 'USAGE')")"
  [[ "$grants" == t ]] || die "the customer's table public.customer_notes lost its grants"
  echo "supabase-shaped-db: the customer's table keeps its grants; Supabase's roles, auth schema and extensions are untouched" >&2
}

cmd_stop() {
  if [[ -f "$DATA/postmaster.pid" ]]; then
    as_cluster_user "$PG_BIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  remove_dir
  echo "supabase-shaped-db: stopped, $DIR removed" >&2
}

case "${1:-start}" in
  start) cmd_start ;;
  url) url_for postgres ;;
  admin-url) url_for supabase_admin ;;
  env)
    printf 'DATABASE_URL=%s\n' "$(url_for postgres)"
    printf 'SUPABASE_SHAPED_ADMIN_URL=%s\n' "$(url_for supabase_admin)"
    printf 'PGTAP_CUSTOMER_TABLES=%s\n' "$CUSTOMER_TABLES"
    ;;
  check) cmd_check ;;
  status) if running; then echo "running on 127.0.0.1:$PORT ($DIR)"; else echo "not running"; exit 1; fi ;;
  stop) cmd_stop ;;
  -h | --help | help) sed -n '2,/^# ----/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
  *) die "unknown command: $1 (start, url, admin-url, env, check, status, stop)" ;;
esac
