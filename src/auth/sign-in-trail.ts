import { writeAudit } from '../audit/audit.js';
import type { ServiceDb, Tx } from '../db/database.js';
import { keyedHash } from '../lib/crypto.js';
import { logger } from '../lib/logger.js';
import * as repo from './sign-in-trail-repo.js';

/** How long a session's hash is kept: a session still in use after this is audited once more. */
export const SIGN_IN_SESSION_DAYS = 30;
/** Sessions one process remembers having seen, so that their requests skip the database (least recently used go first). */
export const SEEN_SESSIONS_CACHE_SIZE = 20_000;
/** How often one process prunes hashes past SIGN_IN_SESSION_DAYS (on a new session's path, not on every request). */
const PRUNE_EVERY_MS = 60 * 60 * 1000;
const DAY_MS = 86_400_000;

/** How the person signed in: local mode's e-mailed link, or a new Supabase Auth session. */
export type SignInMethod = 'magic_link' | 'supabase_session';

export interface SignInTrailDeps {
  serviceDb: ServiceDb;
  blindIndexKey: Buffer;
  now?: () => Date;
  cacheSize?: number;
}

/** A session id as Supabase writes it (a uuid), or anything short enough to hash; longer values are not a session id. */
const SESSION_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * The sign-in trail: each sign-in is audited as `auth.signed_in` in every
 * organisation whose membership the person has accepted (one row on the
 * platform chain when they belong to none), by the backend, with the person
 * as actor and target. The metadata is the method and the session's keyed
 * hash: no address, no token.
 *
 * Local mode audits when its magic link is exchanged (src/auth/local-sign-in.ts).
 * With Supabase Auth, signing in happens at Supabase; this server sees a new
 * session as an access token with a `session_id` it has not met before, and
 * `sessionSeen` audits that once: its hash is inserted into app.sign_in_sessions
 * (ON CONFLICT DO NOTHING), and only the transaction whose row went in writes
 * the audit rows, so two replicas meeting the same new session write them
 * once. A bounded in-memory set of the sessions already seen keeps every
 * later request of a session off the database.
 */
export function createSignInTrail(deps: SignInTrailDeps) {
  const now = deps.now ?? (() => new Date());
  const cacheSize = deps.cacheSize ?? SEEN_SESSIONS_CACHE_SIZE;
  /** Hashes (hex) of sessions known to be recorded, oldest use first (a Map keeps insertion order). */
  const seen = new Map<string, true>();
  let lastPrune = 0;

  const hashOf = (sessionId: string) => keyedHash(deps.blindIndexKey, 'text', `session:${sessionId}`);

  function remember(key: string): void {
    seen.delete(key);
    seen.set(key, true);
    if (seen.size > cacheSize) seen.delete(seen.keys().next().value!);
  }

  /**
   * Records the session and audits the sign-in in the caller's transaction;
   * false (and nothing written) when the session was recorded before.
   */
  async function record(tx: Tx, userId: string, method: SignInMethod, sessionHash: Buffer): Promise<boolean> {
    const [inserted] = await repo.insertSession(tx, sessionHash, now());
    if (!inserted) return false;
    const orgs = await repo.acceptedOrgIds(tx, userId);
    const entry = {
      action: 'auth.signed_in',
      targetType: 'user',
      targetId: userId,
      metadata: { method, session: sessionHash.toString('hex') },
    };
    const actor = { type: 'user' as const, id: userId };
    if (orgs.length === 0) await writeAudit(tx, actor, { ...entry, orgId: null });
    for (const o of orgs) await writeAudit(tx, actor, { ...entry, orgId: o.org_id });
    return true;
  }

  async function pruneIfDue(): Promise<void> {
    const t = now().getTime();
    if (t - lastPrune < PRUNE_EVERY_MS) return;
    lastPrune = t;
    try {
      await prune();
    } catch (err) {
      lastPrune = 0;
      logger.warn({ err_name: (err as Error).name }, 'sign-in trail: old session hashes not pruned; tried again on the next new session');
    }
  }

  async function prune(): Promise<number> {
    const result = await repo.deleteSessionsSeenBefore(deps.serviceDb, new Date(now().getTime() - SIGN_IN_SESSION_DAYS * DAY_MS));
    return result.count;
  }

  return {
    /**
     * A sign-in this server performed itself (local mode's magic link), in the
     * transaction that consumed the link: audited whatever else holds.
     */
    async signedIn(tx: Tx, userId: string, method: SignInMethod, sessionId: string): Promise<void> {
      await record(tx, userId, method, hashOf(sessionId));
    },

    /**
     * A verified access token of a request: its session is audited the first
     * time any replica sees it. Costs nothing but a hash for a session this
     * process has seen; a token without a session id (not a sign-in's) is passed by.
     */
    async sessionSeen(userId: string, payload: Record<string, unknown>): Promise<void> {
      const sessionId = payload.session_id;
      if (typeof sessionId !== 'string' || !SESSION_ID.test(sessionId)) return;
      const hash = hashOf(sessionId);
      const key = hash.toString('hex');
      if (seen.has(key)) {
        remember(key);
        return;
      }
      const fresh = await deps.serviceDb.begin((tx) => record(tx, userId, 'supabase_session', hash));
      remember(key);
      if (fresh) await pruneIfDue();
    },

    /** Forgets the hashes of sessions first seen more than SIGN_IN_SESSION_DAYS ago; how many. */
    prune,

    /** Whether a session is recorded (for tests and support). */
    async recorded(sessionId: string): Promise<boolean> {
      const [row] = await repo.sessionRecorded(deps.serviceDb, hashOf(sessionId));
      return row!.found;
    },
  };
}

export type SignInTrail = ReturnType<typeof createSignInTrail>;
