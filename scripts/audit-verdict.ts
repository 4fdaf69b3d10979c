// The verdict of `npm audit --json` (given as a file) for CI: exit 1 on high or
// critical advisories, 0 otherwise, with one plain line when there is no verdict.
import { readFileSync } from 'node:fs';

interface AuditReport {
  message?: string;
  error?: { summary?: string; code?: string };
  metadata?: { vulnerabilities?: Partial<Record<'critical' | 'high' | 'moderate' | 'low', number>> };
  vulnerabilities?: Record<string, { severity: string; range?: string; fixAvailable?: unknown }>;
}

let r: AuditReport;
try {
  r = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as AuditReport;
} catch {
  console.log('npm audit: no verdict (the advisory service gave no readable answer); the SBOM above can be checked elsewhere.');
  process.exit(0);
}
const counts = r.metadata && r.metadata.vulnerabilities;
if (!counts) {
  const why = r.message || (r.error && (r.error.summary || r.error.code)) || 'unknown error';
  console.log(`npm audit: no verdict, the advisory service could not be reached (${String(why).split('\n')[0]}); the SBOM above can be checked elsewhere.`);
  process.exit(0);
}
const serious = (counts.high || 0) + (counts.critical || 0);
console.log(`npm audit: ${counts.critical || 0} critical, ${counts.high || 0} high, ${counts.moderate || 0} moderate, ${counts.low || 0} low (production dependencies)`);
if (serious > 0) {
  for (const [name, v] of Object.entries(r.vulnerabilities || {})) {
    if (v.severity === 'high' || v.severity === 'critical') console.log(`  ${v.severity}: ${name} ${v.range || ''} (fix available: ${v.fixAvailable ? 'yes' : 'no'})`);
  }
  console.log('High or critical advisories in production dependencies: run `npm audit --omit=dev` and see README, "Dependency scanning".');
  process.exit(1);
}
