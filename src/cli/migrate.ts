import { openDatabase } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { cliArgs, configOrExit } from './bootstrap.js';

/** npm run db:migrate: supabase/migrations then supabase/policies, idempotent. */
cliArgs(
  `usage: npm run db:migrate
  Applies supabase/migrations/*.sql not yet applied (each in its own transaction, recorded in
  supabase_migrations.schema_migrations), then every supabase/policies/*.sql. On DATABASE_URL,
  or the embedded database in DATA_DIR. Running it again changes nothing.`,
  { options: {} },
);
const config = configOrExit();
const db = await openDatabase(config);
try {
  const result = await migrate(db.serviceDb);
  console.log(
    `migrations: ${result.applied.length} applied${result.applied.length ? ` (${result.applied.join(', ')})` : ''}, ${result.skipped} already there; policies: ${result.policies.length} applied`,
  );
} finally {
  await db.close();
}
