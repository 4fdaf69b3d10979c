import type { Tx } from '../db/database.js';

/**
 * The erasure service's contract, shared by the public forget-me flow, the
 * dashboard and account deletion.
 */
export type ErasureSubject = { type: 'email'; value: string } | { type: 'phone'; value: string };

export interface PublicErasureInput {
  subject: ErasureSubject;
  /** Where the completion notice goes (the e-mail address itself, or one the requester gave). */
  contactEmail: string | null;
}

export interface ErasureRequestSummary {
  id: string;
  status: 'pending_confirmation' | 'confirmed' | 'in_progress' | 'completed' | 'flagged' | 'cancelled';
  received_at: Date;
  /** which identity check the request passed, and when (null until verified) */
  identity_check?: 'email_link' | 'sms_code' | 'organization' | null;
  verified_at?: Date | null;
  /** one month from verification (a request not yet verified has no deadline: see PendingErasureRequest) */
  due_at: Date;
  /** what the erasure did (zero counts: nothing of the person was found) */
  counts: Record<string, number>;
}

/** A public request before the requester proved the address or number: no deadline runs yet. */
export type PendingErasureRequest = Omit<ErasureRequestSummary, 'due_at'> & { due_at: null };

export interface PublicErasure {
  /**
   * Records an unconfirmed public request (applies to every organisation) and
   * returns its id, whether or not we hold anything on the subject. Only a
   * keyed hash of the subject is stored.
   */
  filePublicRequest(input: PublicErasureInput): Promise<PendingErasureRequest>;
  /**
   * Confirms a public request (the requester proved the address or number)
   * and erases, inside the caller's transaction: whatever proved the request
   * (a link or code used up in `tx`) commits together with the erasure, or
   * neither does. Confirming twice is a no-op.
   */
  confirmPublicRequestIn(tx: Tx, requestId: string): Promise<ErasureRequestSummary>;
  /** The same in a transaction of its own. */
  confirmPublicRequest(requestId: string): Promise<ErasureRequestSummary>;
  /** After a confirmation committed: work the deletions owed to the providers, in the background. */
  startProviderWork(): void;
}
