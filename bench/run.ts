import { benchAuditedWrite } from './audit-write.bench.js';
import { benchIncomingCall } from './incoming-call.bench.js';
import { benchNoisyNeighbour } from './noisy-neighbour.bench.js';
import { benchPurge } from './purge.bench.js';
import { benchTranscriptEncryption } from './encryption.bench.js';
import { benchSubjectLookup } from './subject-lookup.bench.js';

/**
 * npm run bench [-- audit|incoming|purge|encryption|lookup|neighbour]: every figure is a ratio against a
 * baseline measured in the same run (the machine is shared and noisy).
 * BENCH_SECONDS and BENCH_ROUNDS tune the length; DATABASE_URL picks the
 * server (a throw-away database is created there), else the embedded one.
 * BENCH_ROWS sets the number of transcripts the encryption bench seeds;
 * BENCH_AUDIT_ROWS the neighbour's audit entries, BENCH_NEIGHBOUR_LOOPS its clients.
 */
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const only = process.argv[2];

const benches: Record<string, () => Promise<{ lines: string[] }>> = {
  audit: () => benchAuditedWrite(seconds, rounds),
  incoming: () => benchIncomingCall(seconds, rounds),
  purge: () => benchPurge(rounds),
  encryption: () => benchTranscriptEncryption(rounds),
  lookup: () => benchSubjectLookup(),
  neighbour: () => benchNoisyNeighbour(seconds, rounds),
};
for (const [name, run] of Object.entries(benches)) {
  if (only && only !== name) continue;
  const result = await run();
  for (const line of result.lines) console.log(line);
}
