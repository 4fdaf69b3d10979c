import { ConfigError, loadConfig, type AppConfig } from '../config/env.js';
import { openDatabase, type Database } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { logger } from '../lib/logger.js';

/** Loads the configuration or exits listing every problem. */
export function configOrExit(): AppConfig {
  try {
    return loadConfig(process.env, {
      onGenerated: (names, file) =>
        logger.warn({ secrets: names, file }, 'local mode: generated missing secrets once into the data folder'),
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

/** Opens the database (embedded when DATABASE_URL is absent) and brings its schema up to date. */
export async function openMigratedDatabase(config: AppConfig): Promise<Database> {
  const db = await openDatabase(config);
  await migrate(db.serviceDb);
  return db;
}
