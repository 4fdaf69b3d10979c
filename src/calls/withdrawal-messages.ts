/**
 * What the agent says once the stop_recording tool has run, in the agent's
 * language: the caller must hear that their withdrawal took effect. One
 * sentence per language of the disclaimer catalogue (a test keeps the two
 * lists equal), with the catalogue's forms of address.
 */
import { createHash } from 'node:crypto';
import { STOP_RECORDING_PROMPT } from '../providers/stop-recording-tool.js';

const MESSAGES: Readonly<Record<string, string>> = Object.freeze({
  en: 'Understood. The recording has been stopped and deleted; nothing more of this call is recorded.',
  de: 'Verstanden. Die Aufzeichnung wurde beendet und gelöscht; von diesem Gespräch wird nichts mehr aufgezeichnet.',
  fr: "Entendu. L'enregistrement a été arrêté et supprimé ; plus rien de cet appel n'est enregistré.",
  es: 'Entendido. La grabación se ha detenido y eliminado; ya no se graba nada más de esta llamada.',
  it: 'Capito. La registrazione è stata interrotta ed eliminata; nulla più di questa chiamata viene registrato.',
  nl: 'Begrepen. De opname is gestopt en verwijderd; er wordt niets meer van dit gesprek opgenomen.',
  pl: 'Rozumiem. Nagrywanie zostało zatrzymane, a nagranie usunięte; nic więcej z tej rozmowy nie jest nagrywane.',
  pt: 'Compreendido. A gravação foi parada e apagada; nada mais desta chamada está a ser gravado.',
  'pt-br': 'Entendido. A gravação foi interrompida e excluída; nada mais desta chamada está sendo gravado.',
  sv: 'Uppfattat. Inspelningen har stoppats och raderats; inget mer av det här samtalet spelas in.',
  da: 'Forstået. Optagelsen er stoppet og slettet; intet mere af dette opkald bliver optaget.',
  fi: 'Selvä. Tallennus on lopetettu ja poistettu; tästä puhelusta ei tallenneta enää mitään.',
  cs: 'Rozumím. Nahrávání bylo zastaveno a záznam smazán; z tohoto hovoru se už nic nenahrává.',
});

export const WITHDRAWAL_MESSAGE_LANGUAGES: readonly string[] = Object.freeze(Object.keys(MESSAGES));

/**
 * The sentence for a language tag, resolved as the disclaimer catalogue does
 * ('pt-BR' exactly, 'de-AT' by its primary subtag); English when the tag is
 * unknown (an agent's language is always a catalogue language).
 */
export function withdrawalMessage(language: string | null | undefined): string {
  const tag = (language ?? '').trim().toLowerCase().replace(/_/g, '-');
  if (Object.hasOwn(MESSAGES, tag)) return MESSAGES[tag]!;
  const primary = tag.split('-')[0] ?? '';
  return Object.hasOwn(MESSAGES, primary) ? MESSAGES[primary]! : MESSAGES.en!;
}

/**
 * How the proof of a withdrawal names the words that led to it: the instruction
 * every agent carries (the caller asks in their own words; the agent calls the
 * tool). Bump the version whenever STOP_RECORDING_PROMPT changes; the hash
 * follows the text by itself.
 */
export const WITHDRAWAL_PROMPT = Object.freeze({
  version: 'stop-recording-2026-12-01',
  hash: createHash('sha256').update(STOP_RECORDING_PROMPT, 'utf8').digest('hex'),
});
