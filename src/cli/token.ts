import { issueLocalAccessToken } from '../auth/tokens.js';
import { findOrCreateUserByEmail } from '../auth/users-repo.js';
import { cliArgs, configOrExit, openMigratedDatabase } from './bootstrap.js';

const USAGE = `usage: npm run -s token -- --email someone@example.com [--operator] [--hours 12]
  Prints a local access token (and nothing else) for the user with this e-mail address,
  created if new. Local mode, or wherever SUPABASE_JWT_SECRET signs tokens.
  --email ADDRESS   whose token
  --operator        adds app_metadata.platform_role = "operator"
  --hours 12        how long it is valid (at most 720)
  Example: TOKEN=$(npm run -s token -- --email you@example.com)`;

/** npm run token -- --email a@b.c [--operator] [--hours 12]: prints a local access token. */
const { values } = cliArgs(USAGE, {
  options: { email: { type: 'string' }, operator: { type: 'boolean', default: false }, hours: { type: 'string', default: '12' } },
});
if (!values.email || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email)) {
  console.error(`--email: give an e-mail address. ${USAGE.split('\n')[0]}`);
  process.exit(2);
}
const hours = Number(values.hours);
if (!Number.isFinite(hours) || hours <= 0 || hours > 24 * 30) {
  console.error('--hours must be a number between 0 and 720');
  process.exit(2);
}
const config = configOrExit();
if (!config.supabase.jwtSecret) {
  console.error('Local tokens need SUPABASE_JWT_SECRET (with Supabase Auth, sign in through Supabase instead).');
  process.exit(1);
}
const db = await openMigratedDatabase(config);
try {
  const user = await findOrCreateUserByEmail(db.serviceDb, config.blindIndexKey, values.email);
  const token = await issueLocalAccessToken(config.supabase.jwtSecret, {
    sub: user.id,
    email: values.email,
    operator: values.operator,
    expiresInSeconds: Math.round(hours * 3600),
  });
  console.log(token);
} finally {
  await db.close();
}
