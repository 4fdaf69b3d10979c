import { buildAgentPlatform } from '../container.js';
import { seedDemo } from '../demo/seed.js';
import { configOrExit, openMigratedDatabase } from './bootstrap.js';

/** npm run db:seed [-- --json]: demo organisation, users, agent and number, with local tokens. */
const config = configOrExit();
const db = await openMigratedDatabase(config);
try {
  const seed = await seedDemo(db.serviceDb, config, buildAgentPlatform(config));
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(seed, null, 2));
  } else {
    console.log(`Demo organisation ${seed.organization_id}, agent ${seed.agent_id} on ${seed.phone_numbers.join(', ')}`);
    for (const u of seed.users) console.log(`  ${u.role.padEnd(6)} ${u.email}\n         token: ${u.token}`);
  }
} finally {
  await db.close();
}
