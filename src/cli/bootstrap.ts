import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfig, type AppConfig } from '../config/env.js';
import { openDatabase, type Database } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { logger, logToStderr } from '../lib/logger.js';

/**
 * The start of every command-line tool: its stdout carries only what it prints
 * (a token, JSON), so log lines go to stderr; `--help` (or `-h`) prints `usage`
 * and exits 0; an unknown option or a missing value exits 2 with one line.
 * `config` is node:util's parseArgs configuration, strict, without `help`.
 */
export function cliArgs<const T extends Omit<ParseArgsConfig, 'args' | 'strict'>>(usage: string, config: T) {
  logToStderr();
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage);
    process.exit(0);
  }
  try {
    return parseArgs({ ...config, args: argv, strict: true });
  } catch (err) {
    // node:util's messages are one sentence, then advice on positionals we do not need.
    const message = (err as Error).message.split('. ')[0]!.replace(/\.$/, '');
    console.error(`${message}. ${usage.split('\n')[0]} (--help for more)`);
    process.exit(2);
  }
}

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
