/**
 * What an erasure request tells people: the requester (in English and
 * German) when it is complete or needs more time, and the DPO when it needs
 * a person or is close to its deadline.
 */
import { logger } from '../lib/logger.js';
import type { Mailer } from '../lib/mailer.js';

export interface Notice {
  subject: string;
  text: string;
}

/** To the requester, once the erasure is done here and at both providers. */
export function completionNotice(requestId: string): Notice {
  return {
    subject: 'Your erasure request is complete / Ihr Löschantrag ist erledigt',
    text: [
      `Your request ${requestId} to erase your personal data is complete. We have deleted what we held about you, and asked our processors (Twilio, ElevenLabs) to delete their copies; they have confirmed.`,
      '',
      `Ihr Antrag ${requestId} auf Löschung Ihrer personenbezogenen Daten ist erledigt. Wir haben gelöscht, was wir über Sie gespeichert hatten, und unsere Auftragsverarbeiter (Twilio, ElevenLabs) haben die Löschung ihrer Kopien bestätigt.`,
    ].join('\n'),
  };
}

/** To the requester, before the deadline: the new date and the reasons (Art. 12(3)). */
export function extensionNotice(requestId: string, until: Date, reason: string): Notice {
  const date = until.toISOString().slice(0, 10);
  return {
    subject: 'Your erasure request: more time needed / Ihr Löschantrag: Fristverlängerung',
    text: `We need more time to complete your erasure request ${requestId}, until ${date}.\nReason: ${reason}\n\nWir benötigen mehr Zeit für Ihren Löschantrag ${requestId}, bis ${date}.\nGrund: ${reason}`,
  };
}

/** To the DPO: a provider deletion failed for good, so the request is flagged. */
export function flaggedPage(requestId: string, failed: number): Notice {
  return {
    subject: `Erasure request ${requestId} needs a person`,
    text: [
      `Erasure request ${requestId} could not be completed: ${failed} deletion(s) at Twilio or ElevenLabs failed after retries.`,
      'The request is flagged, not dropped. See runbooks/erasure.md: look at provider_deletions for this request, fix the cause, and re-queue.',
    ].join('\n'),
  };
}

/** To the DPO: an open request within days of its deadline. */
export function dueSoonPage(requestId: string, deadline: Date, days: number): Notice {
  return {
    subject: `Erasure request ${requestId} is due ${days <= 0 ? 'now' : `in ${days} day(s)`}`,
    text: [
      `Erasure request ${requestId} is not done and its deadline (Art. 12(3)) is ${deadline.toISOString()}.`,
      'See runbooks/erasure.md.',
    ].join('\n'),
  };
}

/** Pages the DPO; false when the e-mail could not be sent (logged; the caller pages again next run). */
export async function pageDpo(mailer: Mailer, dpoEmail: string, page: Notice): Promise<boolean> {
  try {
    await mailer.send({ to: dpoEmail, ...page });
    return true;
  } catch (err) {
    logger.error({ err_name: (err as Error).name }, 'could not e-mail the DPO');
    return false;
  }
}
