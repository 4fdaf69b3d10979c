import type { SupabaseClient } from '@supabase/supabase-js';
import type { ServiceDb, Tx } from '../db/database.js';
import { UpstreamError } from '../lib/errors.js';
import type { LocalSignIn } from './local-sign-in.js';
import { CONFIRM_PATH } from './supabase-magic-link.js';
import { findOrCreateUserByEmail } from './users-repo.js';

/** Makes sure an invited person has an account and is told about the invitation. */
export interface Inviter {
  /** Returns the invited person's user id. */
  invite(db: ServiceDb | Tx, email: string): Promise<{ userId: string }>;
}

/**
 * Production: Supabase Auth sends the invitation (its own link) and tells us the
 * user's id; an address that already has an account is reused. The link comes
 * back to the dashboard's /app/auth/confirm (`type=invite`, the "Invite user"
 * template in docs/supabase-auth.md), which signs the person in and shows the
 * invitation to accept or decline. `publicBaseUrl`: this server's public URL.
 */
export function createSupabaseInviter(supabase: SupabaseClient, blindIndexKey: Buffer, publicBaseUrl: string): Inviter {
  const redirectTo = `${publicBaseUrl.replace(/\/+$/, '')}${CONFIRM_PATH}`;
  return {
    async invite(db, email) {
      const { data, error } = await supabase.auth.admin.inviteUserByEmail(email, { redirectTo });
      let userId = data?.user?.id;
      if (error) {
        if (error.status !== 422) throw new UpstreamError('Supabase Auth did not accept the invitation.');
        // Already registered: an existing account; our row is found by its blind index below.
        userId = undefined;
      }
      const row = await findOrCreateUserByEmail(db, blindIndexKey, email, userId);
      return { userId: row.id };
    },
  };
}

/** Local mode: the account is created here and a sign-in link is e-mailed. */
export function createLocalInviter(signIn: LocalSignIn, blindIndexKey: Buffer): Inviter {
  return {
    async invite(db, email) {
      const row = await findOrCreateUserByEmail(db, blindIndexKey, email);
      await signIn.sendMagicLink(email, 'invitation');
      return { userId: row.id };
    },
  };
}
