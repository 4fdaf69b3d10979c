import type { Lang } from './messages.js';

/**
 * Texts of a person's own pages: their invitations (/app/invitations) and
 * deleting an organisation (/app/orgs/:orgId/delete). English is the shape.
 */
const en = {
  invitationsTitle: 'Your invitations',
  invitationsIntro:
    'An invitation is not yet a membership: until you accept it, you see nothing of the organisation and it sees nothing of yours. Declining removes the invitation.',
  noInvitations: 'No invitations are waiting for you.',
  invitationOrg: 'Organisation',
  invitationRole: 'Role',
  invitationSent: 'Invited on',
  invitationAnswer: 'Your answer',
  accept: 'Accept',
  decline: 'Decline',
  /** completes the button text for screen readers: "Accept the invitation to Acme" */
  theInvitationTo: 'the invitation to {org}',
  accepted: 'You accepted the invitation: you are now a member of {org}.',
  openOrg: 'Open {org}',
  declined: 'You declined the invitation. It has been removed.',
  invitationsWaiting: 'Invitations waiting for your answer: {n}.',
  seeInvitations: 'See your invitations',
  yourOrgs: 'Your organisations',

  deleteTitle: 'Delete the organisation',
  deleteIntro: 'Deleting {org} is permanent. It cannot be undone, and nobody (not even the platform’s operators) can bring the data back.',
  deleteHereHeading: 'What is deleted here, at once',
  deleteHere: [
    'every call, with its transcript and recordings, and the leads the agents took',
    'the agents and their phone numbers',
    'the privacy settings, webhooks and exports',
    'every membership: nobody can open the organisation any more',
  ],
  deleteProvidersHeading: 'What is deleted at Twilio and ElevenLabs',
  deleteProviders: [
    'Twilio: the call recordings',
    'ElevenLabs: the conversations (their transcripts and audio) and the voice agents',
  ],
  deleteProvidersNote: 'These deletions are sent to the providers right away and retried until each one confirms it.',
  deleteKeptHeading: 'What is kept',
  deleteKept:
    'A record that the deletion happened (ids and counts, no personal data) stays in the platform’s audit log, erasure requests stay as the record of what was erased (no longer linked to the organisation), and the proof of callers’ consent is kept without pointing at any organisation or person.',
  confirmName: 'To confirm, type the organisation’s name: {org}',
  confirmNameHint: 'Exactly as shown, including capital letters.',
  deleteButton: 'Delete the organisation permanently',
  wrongName: 'The name you typed is not the organisation’s name, so nothing was deleted. Type it exactly as shown.',
  ownerOnly: 'Only an owner can delete the organisation. Your role here: {role}. Ask an owner if it should be deleted.',
  orgDeleted: 'The organisation has been deleted. Its data at Twilio and ElevenLabs is being deleted too.',

  deleteSectionTitle: 'Delete this organisation',
  deleteSectionText: 'An owner can delete the organisation with all its data, here and at Twilio and ElevenLabs.',
  deleteSectionLink: 'Delete this organisation',
};

export type AccountMessages = typeof en;

const de: AccountMessages = {
  invitationsTitle: 'Ihre Einladungen',
  invitationsIntro:
    'Eine Einladung ist noch keine Mitgliedschaft: Bis Sie sie annehmen, sehen Sie nichts von der Organisation und sie nichts von Ihnen. Ablehnen entfernt die Einladung.',
  noInvitations: 'Es warten keine Einladungen auf Sie.',
  invitationOrg: 'Organisation',
  invitationRole: 'Rolle',
  invitationSent: 'Eingeladen am',
  invitationAnswer: 'Ihre Antwort',
  accept: 'Annehmen',
  decline: 'Ablehnen',
  theInvitationTo: 'die Einladung zu {org}',
  accepted: 'Sie haben die Einladung angenommen: Sie sind jetzt Mitglied von {org}.',
  openOrg: '{org} öffnen',
  declined: 'Sie haben die Einladung abgelehnt. Sie wurde entfernt.',
  invitationsWaiting: 'Einladungen, die auf Ihre Antwort warten: {n}.',
  seeInvitations: 'Ihre Einladungen ansehen',
  yourOrgs: 'Ihre Organisationen',

  deleteTitle: 'Organisation löschen',
  deleteIntro:
    'Das Löschen von {org} ist endgültig. Es lässt sich nicht rückgängig machen, und niemand (auch nicht die Betreiber der Plattform) kann die Daten zurückholen.',
  deleteHereHeading: 'Was hier sofort gelöscht wird',
  deleteHere: [
    'alle Anrufe mit Transkript und Aufzeichnungen sowie die von den Agenten aufgenommenen Leads',
    'die Agenten und ihre Telefonnummern',
    'die Datenschutzeinstellungen, Webhooks und Exporte',
    'alle Mitgliedschaften: niemand kann die Organisation mehr öffnen',
  ],
  deleteProvidersHeading: 'Was bei Twilio und ElevenLabs gelöscht wird',
  deleteProviders: [
    'Twilio: die Anrufaufzeichnungen',
    'ElevenLabs: die Gespräche (Transkripte und Audio) und die Sprachagenten',
  ],
  deleteProvidersNote: 'Diese Löschungen gehen sofort an die Anbieter und werden wiederholt, bis jeder sie bestätigt.',
  deleteKeptHeading: 'Was bleibt',
  deleteKept:
    'Ein Eintrag, dass gelöscht wurde (IDs und Anzahlen, keine personenbezogenen Daten), bleibt im Audit-Protokoll der Plattform, Löschanträge bleiben als Nachweis des Gelöschten (ohne Bezug zur Organisation), und der Nachweis der Einwilligung der Anrufer bleibt, ohne auf eine Organisation oder Person zu verweisen.',
  confirmName: 'Geben Sie zur Bestätigung den Namen der Organisation ein: {org}',
  confirmNameHint: 'Genau wie angezeigt, mit Groß- und Kleinschreibung.',
  deleteButton: 'Organisation endgültig löschen',
  wrongName: 'Der eingegebene Name ist nicht der Name der Organisation, daher wurde nichts gelöscht. Geben Sie ihn genau wie angezeigt ein.',
  ownerOnly: 'Nur ein Eigentümer kann die Organisation löschen. Ihre Rolle hier: {role}. Fragen Sie einen Eigentümer, wenn sie gelöscht werden soll.',
  orgDeleted: 'Die Organisation wurde gelöscht. Ihre Daten bei Twilio und ElevenLabs werden ebenfalls gelöscht.',

  deleteSectionTitle: 'Diese Organisation löschen',
  deleteSectionText: 'Ein Eigentümer kann die Organisation mit allen Daten löschen, hier sowie bei Twilio und ElevenLabs.',
  deleteSectionLink: 'Diese Organisation löschen',
};

const pl: AccountMessages = {
  invitationsTitle: 'Twoje zaproszenia',
  invitationsIntro:
    'Zaproszenie nie jest jeszcze członkostwem: dopóki go nie przyjmiesz, nie widzisz niczego z organizacji, a ona niczego z Twoich danych. Odrzucenie usuwa zaproszenie.',
  noInvitations: 'Nie czekają na Ciebie żadne zaproszenia.',
  invitationOrg: 'Organizacja',
  invitationRole: 'Rola',
  invitationSent: 'Zaproszono dnia',
  invitationAnswer: 'Twoja odpowiedź',
  accept: 'Przyjmij',
  decline: 'Odrzuć',
  theInvitationTo: 'zaproszenie do {org}',
  accepted: 'Przyjęto zaproszenie: jesteś teraz członkiem organizacji {org}.',
  openOrg: 'Otwórz {org}',
  declined: 'Odrzucono zaproszenie. Zostało usunięte.',
  invitationsWaiting: 'Zaproszenia czekające na Twoją odpowiedź: {n}.',
  seeInvitations: 'Zobacz swoje zaproszenia',
  yourOrgs: 'Twoje organizacje',

  deleteTitle: 'Usuń organizację',
  deleteIntro:
    'Usunięcie {org} jest trwałe. Nie można go cofnąć i nikt (także operatorzy platformy) nie może przywrócić danych.',
  deleteHereHeading: 'Co zostanie usunięte tutaj, od razu',
  deleteHere: [
    'wszystkie połączenia wraz z transkrypcjami i nagraniami oraz leady zebrane przez agentów',
    'agenci i ich numery telefonów',
    'ustawienia prywatności, webhooki i eksporty',
    'wszystkie członkostwa: nikt nie będzie mógł już otworzyć organizacji',
  ],
  deleteProvidersHeading: 'Co zostanie usunięte w Twilio i ElevenLabs',
  deleteProviders: [
    'Twilio: nagrania połączeń',
    'ElevenLabs: rozmowy (transkrypcje i dźwięk) oraz agenci głosowi',
  ],
  deleteProvidersNote: 'Te usunięcia są od razu wysyłane do dostawców i ponawiane, aż każdy je potwierdzi.',
  deleteKeptHeading: 'Co zostaje',
  deleteKept:
    'Zapis o tym, że usunięcie nastąpiło (identyfikatory i liczby, bez danych osobowych), pozostaje w dzienniku audytu platformy, wnioski o usunięcie danych zostają jako zapis tego, co usunięto (bez powiązania z organizacją), a dowód zgody rozmówców zostaje zachowany bez wskazania żadnej organizacji ani osoby.',
  confirmName: 'Aby potwierdzić, wpisz nazwę organizacji: {org}',
  confirmNameHint: 'Dokładnie tak, jak pokazano, z uwzględnieniem wielkich liter.',
  deleteButton: 'Usuń organizację na zawsze',
  wrongName: 'Wpisana nazwa nie jest nazwą organizacji, więc nic nie zostało usunięte. Wpisz ją dokładnie tak, jak pokazano.',
  ownerOnly: 'Tylko właściciel może usunąć organizację. Twoja rola tutaj: {role}. Poproś właściciela, jeśli należy ją usunąć.',
  orgDeleted: 'Organizacja została usunięta. Jej dane w Twilio i ElevenLabs są również usuwane.',

  deleteSectionTitle: 'Usuń tę organizację',
  deleteSectionText: 'Właściciel może usunąć organizację ze wszystkimi danymi, tutaj oraz w Twilio i ElevenLabs.',
  deleteSectionLink: 'Usuń tę organizację',
};

export const ACCOUNT_MESSAGES: Record<Lang, AccountMessages> = { en, de, pl };
export { en, de, pl };
