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

/** An organisation that keeps the requester's data under a legal hold (Art. 17(3)), as the requester is told. */
export interface HeldPart {
  org_name: string | null;
  reason: string;
  held_until: Date | null;
  held_counts: Record<string, number>;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/** What a hold keeps, in words: "2 call record(s) and 1 lead(s)" (with their recordings and transcripts). */
function kept(counts: Record<string, number>, lang: 'en' | 'de' | 'pl'): string {
  const calls = counts.calls ?? 0;
  const leads = counts.leads ?? 0;
  if (lang === 'de') return `${calls} Anrufdatensatz/-sätze (mit Aufnahmen und Transkripten) und ${leads} Kontakt(e)`;
  if (lang === 'pl') return `${calls} rekord(y) rozmów (z nagraniami i transkrypcjami) i ${leads} kontakt(y)`;
  return `${calls} call record(s) (with their recordings and transcripts) and ${leads} lead(s)`;
}

/** The Art. 12(4) paragraphs about each hold, in one language. */
function heldParagraphs(holds: readonly HeldPart[], lang: 'en' | 'de' | 'pl'): string[] {
  return holds.map((h) => {
    const org = h.org_name ?? '(organisation)';
    if (lang === 'de') {
      return `Ausnahme: ${org} behält ${kept(h.held_counts, 'de')} über Sie, weil eine gesetzliche Aufbewahrungspflicht bzw. die Verteidigung von Rechtsansprüchen entgegensteht (Art. 17 Abs. 3 DSGVO). Begründung von ${org}: ${h.reason}. ${h.held_until ? `Die Sperre gilt bis ${day(h.held_until)}` : 'Die Sperre gilt bis auf Weiteres'}; danach werden diese Daten ohne weiteren Antrag gelöscht. Sie können sich bei einer Aufsichtsbehörde beschweren und gerichtlichen Rechtsschutz suchen (Art. 12 Abs. 4 DSGVO).`;
    }
    if (lang === 'pl') {
      return `Wyjątek: ${org} zachowuje ${kept(h.held_counts, 'pl')} na Twój temat ze względu na obowiązek prawny lub obronę roszczeń (art. 17 ust. 3 RODO). Uzasadnienie ${org}: ${h.reason}. ${h.held_until ? `Blokada obowiązuje do ${day(h.held_until)}` : 'Blokada obowiązuje do odwołania'}; potem dane zostaną usunięte bez kolejnego wniosku. Możesz wnieść skargę do organu nadzorczego i skorzystać ze środków ochrony prawnej (art. 12 ust. 4 RODO).`;
    }
    return `Exception: ${org} keeps ${kept(h.held_counts, 'en')} about you under a legal hold, because a legal obligation or legal claims require it (Art. 17(3) GDPR). ${org}'s reason: ${h.reason}. ${h.held_until ? `The hold lasts until ${day(h.held_until)}` : 'The hold lasts until further notice'}; then this data is erased without a further request. You may lodge a complaint with a supervisory authority and seek a judicial remedy (Art. 12(4) GDPR).`;
  });
}

/**
 * To the requester, once the erasure is done here and at both providers (in
 * English, German and Polish). Where a legal hold kept an organisation's data,
 * it says which organisation keeps what, why, and until when (Art. 12(4)).
 */
export function completionNotice(requestId: string, holds: readonly HeldPart[] = []): Notice {
  return {
    subject: 'Your erasure request is complete / Ihr Löschantrag ist erledigt / Twój wniosek o usunięcie danych został zrealizowany',
    text: [
      `Your request ${requestId} to erase your personal data is complete. We have deleted what we held about you, and asked our processors (Twilio, ElevenLabs) to delete their copies; they have confirmed.`,
      ...heldParagraphs(holds, 'en'),
      '',
      `Ihr Antrag ${requestId} auf Löschung Ihrer personenbezogenen Daten ist erledigt. Wir haben gelöscht, was wir über Sie gespeichert hatten, und unsere Auftragsverarbeiter (Twilio, ElevenLabs) haben die Löschung ihrer Kopien bestätigt.`,
      ...heldParagraphs(holds, 'de'),
      '',
      `Twój wniosek ${requestId} o usunięcie danych osobowych został zrealizowany. Usunęliśmy dane, które o Tobie przechowywaliśmy, a nasi podmioty przetwarzające (Twilio, ElevenLabs) potwierdzili usunięcie swoich kopii.`,
      ...heldParagraphs(holds, 'pl'),
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
