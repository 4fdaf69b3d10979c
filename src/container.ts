import { createClient } from '@supabase/supabase-js';
import { createImpersonationService } from './admin/impersonation-service.js';
import { createLocalInviter, createSupabaseInviter, type Inviter } from './auth/invitations.js';
import { createLocalSignIn, type LocalSignIn } from './auth/local-sign-in.js';
import { createTokenVerifier } from './auth/tokens.js';
import type { AppConfig } from './config/env.js';
import type { ServiceDb } from './db/database.js';
import { createUserDb } from './db/user-db.js';
import type { AppDeps } from './http/app.js';
import { createMailer, type Mailer } from './lib/mailer.js';
import { createOrgsService } from './orgs/orgs-service.js';
import { createPreferencesService } from './preferences/preferences-service.js';

export interface Overrides {
  mailer?: Mailer;
}

/**
 * Wires the services from configuration: the one place that decides between
 * local mode (this server signs people in) and Supabase Auth.
 */
export function buildAppDeps(config: AppConfig, serviceDb: ServiceDb, overrides: Overrides = {}): AppDeps & { mailer: Mailer } {
  const mailer = overrides.mailer ?? createMailer(config);
  const userDb = createUserDb(serviceDb);
  const tokenVerifier = createTokenVerifier(config);

  let inviter: Inviter;
  let localSignIn: LocalSignIn | undefined;
  if (config.supabase.url && config.supabase.serviceRoleKey) {
    const supabase = createClient(config.supabase.url, config.supabase.serviceRoleKey, {
      auth: { autoRefreshToken: false, persistSession: false },
    });
    inviter = createSupabaseInviter(supabase, config.blindIndexKey, config.publicBaseUrl);
  } else {
    localSignIn = createLocalSignIn({
      serviceDb,
      mailer,
      jwtSecret: config.supabase.jwtSecret!,
      blindIndexKey: config.blindIndexKey,
      publicBaseUrl: config.publicBaseUrl,
    });
    inviter = createLocalInviter(localSignIn, config.blindIndexKey);
  }

  return {
    serviceDb,
    userDb,
    tokenVerifier,
    mailer,
    blindIndexKey: config.blindIndexKey,
    localSignIn,
    orgs: createOrgsService({ userDb, serviceDb, inviter, blindIndexKey: config.blindIndexKey }),
    preferences: createPreferencesService({ userDb }),
    impersonations: createImpersonationService({ serviceDb, maxMinutes: config.impersonationMaxMinutes }),
  };
}
