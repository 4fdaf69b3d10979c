import type { AuthContext } from '../auth/auth-middleware.js';
import type { ServiceDb, Tx } from '../db/database.js';
import type { UserDb } from '../db/user-db.js';
import { NotFoundError } from '../lib/errors.js';
import { requireOrgRole } from '../orgs/org-access.js';
import type { SubprocessorsService } from '../subprocessors/subprocessors-service.js';
import { buildRecordOfProcessing, type RecordOfProcessing } from './records-of-processing.js';
import { findController, findRecordPreferences } from './records-of-processing-repo.js';

/**
 * The record of processing activities (Art. 30) of one organisation: the
 * organisation and its preferences read under its members' row-level
 * security, the public sub-processor list on the service connection (as the
 * trust checks read it). Reading it is not access to personal data (it holds
 * none), so it is not audited.
 */
export function createRecordsOfProcessingService(deps: {
  serviceDb: ServiceDb;
  userDb: UserDb;
  subprocessors: Pick<SubprocessorsService, 'publicList'>;
  processorName?: string;
}) {
  async function readOrganization(db: ServiceDb | Tx, orgId: string) {
    const organization = await findController(db, orgId);
    if (!organization) throw new NotFoundError('Organisation not found.');
    return { organization, preferences: await findRecordPreferences(db, orgId) };
  }

  /** The record, from what `readOrganization` read (the sub-processor list after its transaction, on the service connection). */
  async function build({ organization, preferences }: Awaited<ReturnType<typeof readOrganization>>): Promise<RecordOfProcessing> {
    const list = await deps.subprocessors.publicList();
    return buildRecordOfProcessing({
      organization,
      preferences,
      subprocessors: list.live.map((s) => ({
        name: String(s.name), purpose: String(s.purpose), region: String(s.region),
        data_categories: (s.data_categories as string[] | null) ?? [], safeguards: String(s.safeguards),
      })),
      processorName: deps.processorName,
    });
  }

  return {
    /** GET /api/orgs/:orgId/records-of-processing (members). */
    async forOrganization(auth: AuthContext, orgId: string): Promise<RecordOfProcessing> {
      const read = await deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId);
        return readOrganization(tx, orgId);
      });
      return build(read);
    },
    /** The same record read on the backend's connection (the CLI that writes docs/records-of-processing.md). */
    forOrganizationAsService: async (orgId: string) => build(await readOrganization(deps.serviceDb, orgId)),
  };
}

export type RecordsOfProcessingService = ReturnType<typeof createRecordsOfProcessingService>;
