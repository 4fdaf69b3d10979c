import { buildAgentPlatform } from '../container.js';
import { seedDemo } from '../demo/seed.js';
import { cliArgs, configOrExit, openMigratedDatabase } from './bootstrap.js';

const USAGE = `usage: npm run -s db:seed [-- --json]
  Creates the demo organisation (owner, admin and member, and its agents and numbers) if it
  is missing, and prints its ids and a fresh local token per demo user. Running it again
  changes nothing but the tokens.
  --json   the same as one JSON document (and nothing else on stdout), e.g.
           npm run -s db:seed -- --json | jq -r '.users[] | select(.role == "owner") | .token'`;

/** npm run db:seed [-- --json]: demo organisation, users, agents and numbers, with local tokens. */
const { values } = cliArgs(USAGE, { options: { json: { type: 'boolean', default: false } } });
const config = configOrExit();
const db = await openMigratedDatabase(config);
try {
  const seed = await seedDemo(db.serviceDb, config, buildAgentPlatform(config));
  if (values.json) {
    console.log(JSON.stringify(seed, null, 2));
  } else {
    console.log(`Demo organisation ${seed.organization_id}`);
    for (const a of seed.agents) console.log(`  agent ${a.agent_id} (${a.language}) on ${a.phone_number}`);
    for (const u of seed.users) console.log(`  ${u.role.padEnd(6)} ${u.email}\n         token: ${u.token}`);
  }
} finally {
  await db.close();
}
