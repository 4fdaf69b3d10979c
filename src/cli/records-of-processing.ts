import { writeFileSync } from 'node:fs';
import { buildAgentPlatform, buildAppDeps } from '../container.js';
import { seedDemo } from '../demo/seed.js';
import { renderRecordOfProcessing } from '../privacy/records-of-processing.js';
import { cliArgs, configOrExit, openMigratedDatabase } from './bootstrap.js';

/**
 * npm run records-of-processing [-- --out <file>]: the demo organisation's
 * record of processing activities (Art. 30) as Markdown, written to
 * docs/records-of-processing.md. Seeds the demo organisation first if it is
 * not there (as npm run db:seed does; running it again changes nothing).
 */
const { values } = cliArgs(
  `usage: npm run records-of-processing [-- --out <file>]
  Writes the demo organisation's record of processing activities (GDPR Art. 30) as Markdown,
  seeding the demo organisation first if it is missing.
  --out FILE   where to write it (default docs/records-of-processing.md)`,
  { options: { out: { type: 'string', default: 'docs/records-of-processing.md' } } },
);
const out = values.out;
const config = configOrExit();
const db = await openMigratedDatabase(config);
try {
  const seed = await seedDemo(db.serviceDb, config, buildAgentPlatform(config));
  const deps = buildAppDeps(config, db.serviceDb);
  const record = await deps.recordsOfProcessing.forOrganizationAsService(seed.organization_id);
  writeFileSync(out, renderRecordOfProcessing(record));
  console.log(`${out}: the record of processing activities of ${record.controller.name} (${seed.organization_id})`);
} finally {
  await db.close();
}
