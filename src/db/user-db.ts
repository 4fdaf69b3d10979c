import type { ServiceDb, Tx } from './database.js';

/** The verified claims a request runs under (the Supabase access token's payload). */
export interface JwtClaims {
  sub: string;
  role: 'authenticated';
  email?: string;
  /** Set while a platform operator impersonates `sub`. */
  impersonator_id?: string;
  [claim: string]: unknown;
}

/**
 * Runs a signed-in user's queries: one transaction, switched to the
 * `authenticated` role with the verified claims set locally, so PostgreSQL's
 * row-level security (not only our code) decides what the user sees and changes.
 */
export interface UserDb {
  run<T>(claims: JwtClaims, fn: (tx: Tx) => Promise<T>): Promise<T>;
}

export function createUserDb(serviceDb: ServiceDb): UserDb {
  return {
    run<T>(claims: JwtClaims, fn: (tx: Tx) => Promise<T>): Promise<T> {
      return serviceDb.begin(async (tx) => {
        // set_config(..., true) is SET LOCAL: it ends with the transaction and
        // never leaks to the next user of the connection.
        await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
        return fn(tx);
      }) as Promise<T>;
    },
  };
}
