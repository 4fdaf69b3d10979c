import { createHmac, randomInt } from 'node:crypto';
import type { Feature } from '../config/env.js';
import type { ServiceDb, Tx } from '../db/database.js';
import * as noncesRepo from '../db/used-nonces-repo.js';
import type { ErasureRequestSummary, ErasureSubject, PublicErasure } from '../erasure/erasure-types.js';
import { normaliseEmail, safeEqual } from '../lib/crypto.js';
import { parsePhone } from '../lib/phone.js';
import { AppError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import type { Mailer } from '../lib/mailer.js';
import type { Telephony } from '../providers/telephony.js';
import type { CallerRightsService, RightsOutcome } from './caller-rights-service.js';
import { accessConfirmationMail, codeSms, confirmationMail, type Lang } from './forget-me-messages.js';
import * as repo from './forget-me-repo.js';
import { signLinkToken, verifyLinkToken } from './forget-me-token.js';

/** The numbers of the forget-me flow; every one can be given to the service. */
export interface ForgetMeSettings {
  /** How long a confirmation link works. */
  linkTtlSeconds: number;
  /** How long an SMS code works. */
  codeTtlSeconds: number;
  /** Wrong guesses allowed per SMS code (the last one burns it). */
  maxCodeAttempts: number;
  /** Requests per e-mail address or phone number in one window. */
  perIdentifierLimit: number;
  perIdentifierWindowSeconds: number;
  /** Requests per client address in one window (POST /forget-me). */
  perIpLimit: number;
  /** Code guesses per client address in one window (POST /forget-me/verify). */
  perIpVerifyLimit: number;
  perIpWindowSeconds: number;
  /**
   * Every answer to POST /forget-me takes at least this long, counted from the
   * start of the request, so its timing cannot tell whether we hold anything.
   */
  minResponseMs: number;
}

export const DEFAULT_FORGET_ME_SETTINGS: ForgetMeSettings = {
  linkTtlSeconds: 24 * 60 * 60,
  codeTtlSeconds: 15 * 60,
  maxCodeAttempts: 5,
  perIdentifierLimit: 5,
  perIdentifierWindowSeconds: 24 * 60 * 60,
  perIpLimit: 10,
  perIpVerifyLimit: 30,
  perIpWindowSeconds: 15 * 60,
  minResponseMs: 400,
};

export interface ForgetMeDeps {
  erasure: PublicErasure;
  serviceDb: ServiceDb;
  mailer: Mailer;
  telephony: Pick<Telephony, 'sendSms'>;
  /** FORGET_ME_SECRET: signs links, hashes codes and rate-limit buckets. */
  secret: string;
  publicBaseUrl: string;
  now?: () => Date;
  settings?: Partial<ForgetMeSettings>;
  /** Whether SMS codes can be sent (config.features.smsVerification); on when not given. */
  smsVerification?: Feature;
  /** Who runs the service and the privacy contact (config.operator), named on every page. */
  operator: Operator;
  /** Access, do-not-record and recording-allowed requests; without it only erasure is offered (503 for the others). */
  rights?: CallerRightsService;
}

/**
 * The rights the public page offers: erasure (Art. 17), access (Art. 15), objection to recording (Art. 21),
 * and withdrawing that objection (recording allowed again).
 */
export const REQUEST_TYPES = ['erasure', 'access', 'do_not_record', 'recording_allowed'] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];

/** A verified request: an erasure under way, or an access or do-not-record request answered. */
export type Confirmation = { type: 'erasure'; request: ErasureRequestSummary } | RightsOutcome;

export interface Operator {
  name: string;
  privacyEmail: string;
}

export interface ForgetMeInput {
  /** Erasure when not given. */
  requestType?: RequestType;
  subject: ErasureSubject;
  /** For a phone number: where the completion notice goes (optional). */
  contactEmail: string | null;
  lang: Lang;
}

/** What the requester is told: the same whether or not we hold anything on them. */
export type ForgetMeReceipt =
  | { status: 'confirmation_sent'; channel: 'email'; expires_in_seconds: number }
  | { status: 'code_sent'; channel: 'sms'; request_id: string; expires_in_seconds: number; attempts_allowed: number };

export class RateLimitedError extends AppError {
  constructor(message = 'Too many requests for this address or number: try again later.') {
    super(429, 'rate_limited', message);
  }
}

/**
 * The public forget-me flow (Art. 17 without an account). A request is filed
 * through the erasure service, then the person proves the address (a signed,
 * expiring, single-use link) or the number (a 6-digit SMS code, five tries)
 * before anything is erased. Nothing here looks at whether we hold data on
 * the person, so every request does the same work.
 */
export function createForgetMeService(deps: ForgetMeDeps) {
  const settings: ForgetMeSettings = { ...DEFAULT_FORGET_ME_SETTINGS, ...deps.settings };
  const now = deps.now ?? (() => new Date());
  const smsVerification: Feature = deps.smsVerification ?? { on: true };
  const base = deps.publicBaseUrl.replace(/\/+$/, '');

  const hmac = (label: string, value: string) => createHmac('sha256', deps.secret).update(`${label}.${value}`).digest();
  const codeHash = (requestId: string, code: string) => hmac('forget-me-sms-code', `${requestId}.${code}`);

  /** Counts a request against the person's window; throws once the window is full. */
  async function limitIdentifier(subject: ErasureSubject): Promise<void> {
    const bucket = hmac('forget-me-rate', `${subject.type}:${subject.value}`);
    const windowMs = settings.perIdentifierWindowSeconds * 1000;
    const t = now().getTime();
    const windowStart = new Date(Math.floor(t / windowMs) * windowMs);
    const hits = await repo.countHit(deps.serviceDb, bucket, windowStart, new Date(windowStart.getTime() - windowMs));
    if (hits > settings.perIdentifierLimit) throw new RateLimitedError();
  }

  /** The confirmation link for a request (also used to re-send one). */
  function confirmationLink(requestId: string, lang: Lang, subjectType: ErasureSubject['type'] = 'email', requestType: 'erasure' | 'access' = 'erasure'): string {
    const expiresAt = Math.floor(now().getTime() / 1000) + settings.linkTtlSeconds;
    const token = signLinkToken(deps.secret, { requestId, subjectType, expiresAt, requestType });
    return `${base}/forget-me/confirm?token=${token}${lang === 'en' ? '' : `&lang=${lang}`}`;
  }

  async function deliver(what: 'e-mail' | 'SMS', send: () => Promise<void>): Promise<void> {
    try {
      await send();
    } catch (err) {
      logger.warn({ err_name: (err as Error).name, channel: what }, 'forget-me: could not send the confirmation');
      throw new AppError(503, 'delivery_failed', `We could not send the ${what} just now: please try again in a few minutes.`);
    }
  }

  /** Files a request and sends the proof: a link by e-mail, or a code by SMS. */
  async function request(input: ForgetMeInput): Promise<ForgetMeReceipt> {
    const type = input.requestType ?? 'erasure';
    if (type === 'do_not_record' && input.subject.type !== 'phone') {
      throw new AppError(422, 'phone_required', 'Not recording calls works by phone number only: please give the number you call from, with its country code.');
    }
    if (type === 'recording_allowed' && input.subject.type !== 'phone') {
      throw new AppError(422, 'phone_required', 'Allowing recording again works by phone number only: please give the number you call from, with its country code.');
    }
    if (type !== 'erasure' && !deps.rights) throw new AppError(503, 'feature_unavailable', 'Only erasure can be asked for here at the moment.');
    if (input.subject.type === 'phone' && !smsVerification.on) {
      throw new AppError(503, 'feature_unavailable', 'Requests by phone number are not available here: we cannot send SMS codes. Please ask by e-mail address.');
    }
    const subject: ErasureSubject =
      input.subject.type === 'email'
        ? { type: 'email', value: normaliseEmail(input.subject.value) }
        : { type: 'phone', value: parsePhone(input.subject.value) };
    await limitIdentifier(subject);

    if (subject.type === 'email' && type === 'access') {
      const filed = await deps.rights!.file('access', subject);
      const mail = accessConfirmationMail(input.lang, confirmationLink(filed.id, input.lang, 'email', 'access'), settings.linkTtlSeconds / 3600);
      await deliver('e-mail', () => deps.mailer.send({ to: subject.value, ...mail }));
      return { status: 'confirmation_sent', channel: 'email', expires_in_seconds: settings.linkTtlSeconds };
    }
    if (subject.type === 'email') {
      const filed = await deps.erasure.filePublicRequest({ subject, contactEmail: subject.value });
      const mail = confirmationMail(input.lang, confirmationLink(filed.id, input.lang), settings.linkTtlSeconds / 3600);
      await deliver('e-mail', () => deps.mailer.send({ to: subject.value, ...mail }));
      return { status: 'confirmation_sent', channel: 'email', expires_in_seconds: settings.linkTtlSeconds };
    }

    const contactEmail = input.contactEmail ? normaliseEmail(input.contactEmail) : null;
    const filed = type === 'erasure' ? await deps.erasure.filePublicRequest({ subject, contactEmail }) : await deps.rights!.file(type, subject);
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const t = now().getTime();
    await repo.storeCode(
      deps.serviceDb,
      filed.id,
      codeHash(filed.id, code),
      new Date(t + settings.codeTtlSeconds * 1000),
      new Date(t - 24 * 60 * 60 * 1000),
    );
    await deliver('SMS', () => deps.telephony.sendSms(subject.value, codeSms(input.lang, code, settings.codeTtlSeconds / 60, type)));
    return {
      status: 'code_sent',
      channel: 'sms',
      request_id: filed.id,
      expires_in_seconds: settings.codeTtlSeconds,
      attempts_allowed: settings.maxCodeAttempts,
    };
  }

  /**
   * Checks a confirmation link's signature (constant-time) and expiry. A
   * tampered (400) or expired (410) link is refused; nothing is read or changed.
   */
  function checkLink(token: string): { requestId: string; expiresAt: number; requestType: 'erasure' | 'access' } {
    const check = verifyLinkToken(deps.secret, token, Math.floor(now().getTime() / 1000));
    if (!check.ok) {
      throw check.reason === 'expired'
        ? new AppError(410, 'link_expired', 'This confirmation link has expired: please ask again on the forget-me page.')
        : new AppError(400, 'link_invalid', 'This confirmation link is not valid: please use the link exactly as it was e-mailed.');
    }
    return { requestId: check.claims.requestId, expiresAt: check.claims.expiresAt, requestType: check.claims.requestType ?? 'erasure' };
  }

  /**
   * Opens a confirmation link, for the page that asks the person to confirm:
   * checks the link and whether it was used (410), and changes nothing, so a
   * mail scanner that fetches the link erases no one.
   */
  async function inspectLink(token: string): Promise<{ requestId: string; expiresAt: Date; requestType: 'erasure' | 'access' }> {
    const { requestId, expiresAt, requestType } = checkLink(token);
    if (await noncesRepo.forgetMeLinkUsed(deps.serviceDb, requestId)) {
      throw new AppError(410, 'link_used', 'This confirmation link has already been used: your request is confirmed.');
    }
    return { requestId, expiresAt: new Date(expiresAt * 1000), requestType };
  }

  /**
   * Uses a confirmation link (the page's button): checks it, then in one transaction uses it up
   * (app.used_nonces) and confirms the request, which starts the erasure. A
   * crash or failure before the commit leaves the link unused and the request
   * confirmable. A used link (410) changes nothing.
   */
  async function confirmLink(token: string): Promise<Confirmation> {
    const { requestId, expiresAt } = checkLink(token);
    const confirmed = await deps.serviceDb.begin(async (tx) => {
      if (!(await noncesRepo.claimForgetMeLinkNonce(tx, requestId, new Date(expiresAt * 1000)))) {
        throw new AppError(410, 'link_used', 'This confirmation link has already been used: your request is confirmed.');
      }
      return confirmIn(tx, requestId);
    });
    if (confirmed.type === 'erasure') deps.erasure.startProviderWork();
    return confirmed;
  }

  /** Confirms whichever request the id is: a privacy request (access, do-not-record, recording allowed), else an erasure. */
  async function confirmIn(tx: Tx, requestId: string): Promise<Confirmation> {
    const rights = deps.rights ? await deps.rights.confirmIn(tx, requestId) : undefined;
    return rights ?? { type: 'erasure', request: await deps.erasure.confirmPublicRequestIn(tx, requestId) };
  }

  /**
   * Checks an SMS code for a request: five tries (the fifth wrong one burns
   * the code), compared as keyed hashes in constant time. A wrong guess is
   * counted (committed); the right code is used up in the same transaction
   * that confirms the request and starts the erasure, so a crash before the
   * commit leaves the code (and its try) unused.
   */
  async function verifyCode(requestId: string, code: string): Promise<Confirmation> {
    const at = now();
    const outcome = await deps.serviceDb.begin(async (tx) => {
      const attempt = await repo.spendAttempt(tx, requestId, at, settings.maxCodeAttempts);
      if (!attempt) return { kind: 'unusable' as const };
      if (!safeEqual(codeHash(requestId, code), attempt.code_hash)) return { kind: 'wrong' as const, attempts: attempt.attempts };
      // The row is ours since spendAttempt updated it, so this cannot miss; checked all the same.
      if (!(await repo.consumeCode(tx, requestId, at))) return { kind: 'unusable' as const };
      return { kind: 'confirmed' as const, confirmed: await confirmIn(tx, requestId) };
    });
    if (outcome.kind === 'confirmed') {
      if (outcome.confirmed.type === 'erasure') deps.erasure.startProviderWork();
      return outcome.confirmed;
    }
    if (outcome.kind === 'wrong') {
      const triesLeft = settings.maxCodeAttempts - outcome.attempts;
      if (triesLeft <= 0) throw new AppError(410, 'code_exhausted', 'Too many wrong codes: please ask again on the forget-me page.');
      throw new AppError(400, 'code_incorrect', `That code is not right. ${triesLeft} ${triesLeft === 1 ? 'try' : 'tries'} left.`, { tries_left: triesLeft });
    }
    const state = await repo.codeState(deps.serviceDb, requestId);
    if (state?.consumed_at) throw new AppError(410, 'code_used', 'This code has already been used: your request is confirmed.');
    if (state && state.attempts >= settings.maxCodeAttempts) {
      throw new AppError(410, 'code_exhausted', 'Too many wrong codes: please ask again on the forget-me page.');
    }
    throw new AppError(410, 'code_expired', 'This code has expired or does not exist: please ask again on the forget-me page.');
  }

  return {
    settings,
    smsVerification,
    operator: deps.operator,
    /** PUBLIC_BASE_URL's origin: the only Origin a confirmation may be posted from. */
    publicOrigin: new URL(base).origin,
    request,
    confirmationLink,
    inspectLink,
    confirmLink,
    verifyCode,
    /** GET /forget-me/downloads/:token (see CallerRightsService.download). */
    download(token: string) {
      if (!deps.rights) throw new AppError(404, 'download_not_found', 'This download link is not valid.');
      return deps.rights.download(token);
    },
  };
}

export type ForgetMeService = ReturnType<typeof createForgetMeService>;
