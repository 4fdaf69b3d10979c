import { verifyAuditChains } from '../audit/audit-verify.js';
import { openDatabase } from '../db/database.js';
import { cliArgs, configOrExit } from './bootstrap.js';

/** npm run audit:verify [-- --org <uuid>]: recomputes the audit hash chains; exit 1 on a broken link. */
const { values } = cliArgs(
  `usage: npm run audit:verify [-- --org <organisation id>]
  Recomputes the audit log's hash chains (every organisation's, or one's) and prints
  "audit log intact" (exit 0) or the first broken link of each broken chain (exit 1).
  --org ID   only this organisation's chain`,
  { options: { org: { type: 'string' } } },
);
const orgId = values.org;
const config = configOrExit();
const db = await openDatabase(config);
try {
  const report = await verifyAuditChains(db.serviceDb, { orgId });
  if (report.broken.length === 0) {
    console.log(`audit log intact: ${report.rows} rows in ${report.chains} chains`);
  } else {
    console.log(`audit log BROKEN: ${report.broken.length} of ${report.chains} chains (${report.rows} rows checked)`);
    for (const b of report.broken) {
      console.log(`  chain ${b.chainKey}: first broken link at #${b.chainIndex} (row ${b.id}): ${b.problem}`);
    }
    process.exitCode = 1;
  }
} finally {
  await db.close();
}
