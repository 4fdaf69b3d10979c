#!/usr/bin/env bash
# Runs the pgTAP suite (supabase/tests/*.sql) against a fresh, throw-away
# PostgreSQL database:
#   1. creates a database with a random name,
#   2. applies supabase/migrations/*.sql then supabase/policies/*.sql in file-name
#      order with psql (ON_ERROR_STOP, one transaction per file, like
#      src/db/migrate.ts), records the migrations in
#      supabase_migrations.schema_migrations as the TypeScript runner does, and
#      applies the policies a second time (they must be re-appliable),
#   3. installs pgTAP once, in schema "extensions" (as on Supabase),
#   4. runs every test file with pg_prove, or with psql if pg_prove is missing,
#   5. drops the database (also on failure or Ctrl-C).
# Exits non-zero if anything fails.
#
# With PGTAP_DATABASE_URL it works on that existing database instead (e.g.
# one shaped like a Supabase project, scripts/supabase-shaped-db.sh): nothing
# is created or dropped, the migrations not yet recorded there and the
# policies are applied as that URL's role (which need not be a superuser),
# pgTAP is installed by PGTAP_ADMIN_URL's role, and the tests run as it.
#
# Usage: scripts/pgtap.sh [test-file ...]        (default: supabase/tests/*.sql)
# Environment:
#   PGHOST / PGPORT / PGUSER   default 127.0.0.1 / 5432 / postgres (a superuser;
#                              password via PGPASSWORD or ~/.pgpass if needed)
#   PGTAP_DATABASE_URL         an existing database: migrations and policies
#                              are applied over this connection
#   PGTAP_ADMIN_URL            with PGTAP_DATABASE_URL: a superuser of the same
#                              database, installs pgTAP and runs the tests
#                              (default: PGTAP_DATABASE_URL)
#   PGTAP_CUSTOMER_TABLES      tables in public that are not the project's (the
#                              customer's own, e.g. public.notes,public.todos):
#                              the whole-schema checks leave them out
#   PGTAP_RUNNER=psql          use the psql fallback even if pg_prove exists
#   PGTAP_KEEP_DB=1            keep the database afterwards (for debugging)
#   PGTAP_VERBOSE=1            pg_prove --verbose (print every assertion)
# Needs the server-side pgTAP extension: apt-get install postgresql-15-pgtap
# (it also brings pg_prove, from libtap-parser-sourcehandler-pgtap-perl).
set -euo pipefail

export PGHOST="${PGHOST:-127.0.0.1}"
export PGPORT="${PGPORT:-5432}"
export PGUSER="${PGUSER:-postgres}"
unset PGDATABASE PGOPTIONS

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SUPABASE_DIR="$ROOT/supabase"
EXISTING="${PGTAP_DATABASE_URL:-}"
if [[ -n "$EXISTING" ]]; then
  # Connection strings for psql -d: the migrating role, and the superuser.
  DB="$EXISTING"
  ADMIN_DB="${PGTAP_ADMIN_URL:-$EXISTING}"
  LABEL="given by PGTAP_DATABASE_URL"
  unset PGHOST PGPORT PGUSER
else
  DB="pgtap_$(date +%Y%m%d%H%M%S)_$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')"
  ADMIN_DB="$DB"
  LABEL="$DB"
fi
# Tables the whole-schema checks leave out (see supabase/tests), as a regclass[] literal.
CUSTOMER_TABLES="{${PGTAP_CUSTOMER_TABLES:-}}"

red() { printf '\033[31m%s\033[0m\n' "$*"; }
green() { printf '\033[32m%s\033[0m\n' "$*"; }
die() { red "pgtap.sh: $*" >&2; exit 1; }

for tool in psql createdb dropdb; do
  [[ -n "$EXISTING" && "$tool" != psql ]] && continue
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found (install postgresql-client)"
done

PSQL=(psql -X -q -v ON_ERROR_STOP=1 --no-password)

# Test files: arguments, or every supabase/tests/*.sql in name order (each includes
# supabase/tests/lib/use-pgtap.sql, which finds pgTAP's schema; lib/ is not a test).
if (($# > 0)); then
  TESTS=("$@")
else
  mapfile -t TESTS < <(find "$SUPABASE_DIR/tests" -maxdepth 1 -type f -name '*.sql' | LC_ALL=C sort)
fi
((${#TESTS[@]} > 0)) || die "no test files in $SUPABASE_DIR/tests"
for f in "${TESTS[@]}"; do [[ -f "$f" ]] || die "no such test file: $f"; done

created=0
cleanup() {
  local rc=$?
  if ((created)); then
    if [[ "${PGTAP_KEEP_DB:-}" == 1 ]]; then
      echo "Kept database $DB (PGTAP_KEEP_DB=1); drop it with: dropdb -h $PGHOST -p $PGPORT -U $PGUSER $DB"
    else
      dropdb --no-password --if-exists --force "$DB" >/dev/null 2>&1 \
        || dropdb --no-password --if-exists "$DB" >/dev/null 2>&1 \
        || red "could not drop database $DB" >&2
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -n "$EXISTING" ]]; then
  "${PSQL[@]}" -d "$DB" -c 'select 1' >/dev/null || die "cannot connect to PGTAP_DATABASE_URL"
  "${PSQL[@]}" -d "$ADMIN_DB" -c 'select 1' >/dev/null || die "cannot connect to PGTAP_ADMIN_URL"
  echo "== Existing database: migrating as $("${PSQL[@]}" -d "$DB" -tAc 'select current_user'), testing as $("${PSQL[@]}" -d "$ADMIN_DB" -tAc 'select current_user')"
else
  pg_isready -q 2>/dev/null || "${PSQL[@]}" -d postgres -c 'select 1' >/dev/null \
    || die "cannot connect to PostgreSQL at $PGHOST:$PGPORT as $PGUSER"

  echo "== Creating database $DB on $PGHOST:$PGPORT"
  createdb --no-password "$DB"
  created=1
fi

# ---------------------------------------------------------------------------
# Schema: migrations, then policies (like src/db/migrate.ts)
# ---------------------------------------------------------------------------
"${PSQL[@]}" -d "$DB" <<'SQL'
set client_min_messages = warning;
create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.schema_migrations (
  version text primary key,
  statements text[],
  name text
);
SQL

apply() { # file
  "${PSQL[@]}" -d "$DB" --single-transaction -c 'set client_min_messages = warning' -f "$1" \
    || die "failed to apply ${1#"$ROOT"/}"
}

shopt -s nullglob
migrations=("$SUPABASE_DIR"/migrations/*.sql)
policies=("$SUPABASE_DIR"/policies/*.sql)
shopt -u nullglob
((${#migrations[@]} > 0)) || die "no migrations in $SUPABASE_DIR/migrations"
mapfile -t migrations < <(printf '%s\n' "${migrations[@]}" | LC_ALL=C sort)
mapfile -t policies < <(printf '%s\n' "${policies[@]+"${policies[@]}"}" | sed '/^$/d' | LC_ALL=C sort)

for f in "${migrations[@]}"; do
  name="$(basename "$f" .sql)"
  [[ "$name" =~ ^([0-9]+)_(.+)$ ]] || die "migration file name must be <timestamp>_<name>.sql: $(basename "$f")"
  if [[ -n "$EXISTING" && "$("${PSQL[@]}" -d "$DB" -tA -v version="${BASH_REMATCH[1]}" \
        <<<"select count(*) from supabase_migrations.schema_migrations where version = :'version';")" != 0 ]]; then
    echo "   migration ${name} (already applied)"
    continue
  fi
  echo "   migration ${name}"
  apply "$f"
  # psql interpolates :'var' only in scripts, not in -c
  "${PSQL[@]}" -d "$DB" -v version="${BASH_REMATCH[1]}" -v name="${BASH_REMATCH[2]}" >/dev/null \
    <<<"insert into supabase_migrations.schema_migrations (version, name) values (:'version', :'name');" \
    || die "could not record migration $name"
done
for pass in 1 2; do
  for f in "${policies[@]}"; do
    ((pass == 1)) && echo "   policies  $(basename "$f" .sql)"
    apply "$f"
  done
done
echo "   (policies applied twice: they must be re-appliable)"

# ---------------------------------------------------------------------------
# pgTAP, once, outside the tests' transactions
# ---------------------------------------------------------------------------
if [[ "$("${PSQL[@]}" -d "$ADMIN_DB" -tAc "select count(*) from pg_available_extensions where name = 'pgtap'")" != 1 ]]; then
  die "the pgTAP extension is not installed on the server (apt-get install postgresql-15-pgtap)"
fi
if [[ -n "$EXISTING" ]]; then
  # Someone else's database: add pgTAP, make its own functions callable, change nothing else.
  "${PSQL[@]}" -d "$ADMIN_DB" <<'SQL'
set client_min_messages = warning;
create schema if not exists extensions;
create extension if not exists pgtap with schema extensions;
do $$
declare
  f regprocedure;
begin
  for f in
    select d.objid::regprocedure from pg_catalog.pg_depend d
     where d.classid = 'pg_proc'::regclass and d.deptype = 'e'
       and d.refobjid = (select oid from pg_catalog.pg_extension where extname = 'pgtap')
  loop
    execute format('grant execute on function %s to public', f);
  end loop;
end
$$;
SQL
else
"${PSQL[@]}" -d "$DB" <<SQL
set client_min_messages = warning;
create schema if not exists extensions;
create extension if not exists pgtap with schema extensions;
grant usage on schema extensions to anon, authenticated, service_role;
-- the migrations revoke EXECUTE from PUBLIC by default; the test helpers need it
grant execute on all functions in schema extensions to public;
alter database "$DB" set search_path = "\$user", public, extensions;
SQL
fi

# ---------------------------------------------------------------------------
# Run the tests
# ---------------------------------------------------------------------------
echo "== Running ${#TESTS[@]} test file(s)"
runner="${PGTAP_RUNNER:-}"
if [[ -z "$runner" ]]; then
  if command -v pg_prove >/dev/null 2>&1; then runner=pg_prove; else runner=psql; fi
fi

# The whole-schema checks read the customer's tables from this setting.
export PGOPTIONS="-c tests.customer_tables=$CUSTOMER_TABLES"

status=0
if [[ "$runner" == pg_prove ]]; then
  if [[ -n "$EXISTING" ]]; then
    prove_args=(--dbname "$ADMIN_DB" --failures --timer)
  else
    prove_args=(--dbname "$DB" --host "$PGHOST" --port "$PGPORT" --username "$PGUSER" --failures --timer)
  fi
  [[ "${PGTAP_VERBOSE:-}" == 1 ]] && prove_args+=(--verbose)
  pg_prove "${prove_args[@]}" "${TESTS[@]}" || status=$?
else
  # Fallback without pg_prove: run each file with psql and read the TAP
  # ourselves (plan line, ok / not ok lines, psql's exit status).
  total_files=0 failed_files=0 total_tests=0 failed_tests=0
  for f in "${TESTS[@]}"; do
    total_files=$((total_files + 1))
    rel="${f#"$ROOT"/}"
    set +e
    out="$("${PSQL[@]}" -d "$ADMIN_DB" -tA --pset pager=off -f "$f" 2>&1)"
    rc=$?
    set -e
    planned="$(grep -E '^1\.\.[0-9]+' <<<"$out" | head -n1 | sed -E 's/^1\.\.([0-9]+).*/\1/')"
    ran="$(grep -cE '^(not )?ok [0-9]+' <<<"$out" || true)"
    # "not ok ... # TODO" is an expected failure, not a failure
    bad="$(grep -E '^not ok [0-9]+' <<<"$out" | grep -cvE '#[[:space:]]*TODO' || true)"
    problems=()
    ((rc == 0)) || problems+=("psql exited with status $rc")
    [[ -n "$planned" ]] || problems+=("no plan")
    [[ -n "$planned" && "$planned" != "$ran" ]] && problems+=("planned $planned tests but ran $ran")
    ((bad == 0)) || problems+=("$bad failed")
    total_tests=$((total_tests + ran))
    failed_tests=$((failed_tests + bad))
    if ((${#problems[@]} == 0)); then
      [[ "${PGTAP_VERBOSE:-}" == 1 ]] && grep -E '^(ok|#)' <<<"$out"
      printf '%s .. ok (%s tests)\n' "$rel" "$ran"
    else
      failed_files=$((failed_files + 1))
      printf '%s .. FAILED: %s\n' "$rel" "$(printf '%s; ' "${problems[@]}" | sed 's/; $//')"
      # the failing assertions with their diagnostics, and any SQL error
      awk '/^not ok /{show=1; print; next} /^(ok |1\.\.)/{show=0; next} show || /ERROR|FATAL|psql:/' <<<"$out" | sed 's/^/    /'
    fi
  done
  echo
  if ((failed_files == 0)); then
    echo "All tests successful."
  else
    echo "FAILED: $failed_files of $total_files file(s), $failed_tests failed assertion(s)."
    status=1
  fi
  echo "Files=$total_files, Tests=$total_tests"
fi

echo
if ((status == 0)); then
  green "pgTAP: PASS (database $LABEL)"
else
  red "pgTAP: FAIL (database $LABEL)"
fi
exit "$status"
