import type { Tx } from '../db/database.js';
import { countryOfPhone, parsePhone, type E164 } from '../lib/phone.js';
import { findOrganization } from './orgs-repo.js';

/**
 * The country an organisation's national-format numbers are read in: its own
 * `country`, else the country of its first phone number; undefined when it has
 * neither (then only international numbers can be read).
 */
export function phoneCountryOf(org: { country: string | null; first_number: string | null }): string | undefined {
  return org.country ?? (org.first_number ? countryOfPhone(org.first_number) : undefined);
}

/**
 * Reads a phone number someone of organisation `orgId` gave (a person to erase or
 * export, an agent's number) into E.164, in the organisation's country; 400
 * `invalid_phone` when it cannot. Runs in the caller's transaction, under RLS.
 */
export async function readOrgPhone(tx: Tx, orgId: string, input: string, field = 'phone'): Promise<E164> {
  const org = await findOrganization(tx, orgId);
  return parsePhone(input, org ? phoneCountryOf(org) : undefined, field);
}
