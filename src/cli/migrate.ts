import { openDatabase } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { configOrExit } from './bootstrap.js';

/** npm run db:migrate: supabase/migrations then supabase/policies, idempotent. */
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
