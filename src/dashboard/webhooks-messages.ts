import type { Lang } from './messages.js';

/** The webhooks page's texts (English defines the shape; German and Polish follow it). */
export const en = {
  webhooksTitle: 'Webhooks',
  webhooksIntro:
    'Your own systems can be told when a call ends, an erasure is completed or a security incident is opened: register an HTTPS address and choose the events. Each message is signed with the endpoint’s secret (Standard Webhooks, HMAC-SHA256) and retried with backoff until your server answers with a 2xx status.',
  memberCannotSeeWebhooks:
    'Only owners and admins can register webhook endpoints or see them and their deliveries; you are a member, so there is nothing to show you here.',
  registerTitle: 'Register an endpoint',
  url: 'Address (URL)',
  urlHint: 'https://, with no user name, password or #fragment, at a public address (not a loopback, private or reserved one).',
  events: 'Events to send',
  description: 'Description (optional)',
  register: 'Register the endpoint',
  eventNames: {
    'call.completed': 'A call ended',
    'erasure.completed': 'An erasure request was completed',
    'erasure.partial': 'A deletion in your own recording storage was refused (our access was removed)',
    'incident.opened': 'A security incident affecting you was opened',
    'access.completed': 'A caller was sent a copy of their data',
  } as Record<string, string>,
  createdTitle: 'The endpoint is registered',
  secretOnce:
    'Copy its signing secret now and keep it in your system: it is shown this once and never again, here or through the API. If it is lost, delete the endpoint and register it again.',
  secret: 'Signing secret',
  deleted: 'The endpoint is deleted; deliveries still waiting for it were dropped with it.',
  invalidUrl: 'Nothing was registered: enter the endpoint’s address (at most 2000 characters).',
  urlRefused:
    'Nothing was registered: this address cannot receive webhooks. It must start with https://, carry no user name, password or #fragment, and point at a public address, not at a loopback, private or reserved one.',
  noEvents: 'Nothing was registered: choose at least one event.',
  descriptionTooLong: 'Nothing was registered: the description may have at most 200 characters.',
  tooMany: 'Nothing was registered: an organisation can have at most {n} endpoints. Delete one first.',
  alreadyTitle: 'This form was already submitted',
  alreadyRegistered:
    'Nothing was registered this time: this form had already registered the endpoint {url} (reloading the page sends the form again). Its signing secret was shown once, in the answer to that first submission, and is not shown again. If you did not copy it, delete the endpoint and register it again: the new registration gets a new secret.',
  alreadyRegisteredDeleted:
    'Nothing was registered this time: this form had already registered an endpoint (reloading the page sends the form again), and that endpoint has been deleted since. Its signing secret was shown once and is not shown again. To register an endpoint, fill in the form below.',
  seeEndpoint: 'See the endpoint in the list',
  seeEndpoints: 'See the registered endpoints',
  formOutdated: 'Nothing was registered: this form was out of date. Check what is filled in and submit it again.',
  endpointsTitle: 'Registered endpoints',
  noEndpoints: 'No endpoint is registered yet.',
  registered: 'Registered',
  deliveries: 'Recent deliveries',
  noDeliveries: 'Nothing has been sent to this endpoint yet.',
  deliveriesOf: 'Recent deliveries to {url}',
  event: 'Event',
  deliveryStatus: 'Status',
  attempts: 'Attempts',
  lastAnswer: 'Last answer',
  created: 'Created',
  statusPending: 'Waiting to be sent (or retried)',
  statusDelivered: 'Delivered',
  statusFailed: 'Failed: given up after the last retry',
  httpStatus: 'HTTP {code}',
  noAnswer: 'No answer yet',
  connectionFailed: 'No answer: the connection failed or timed out',
  deleteEndpoint: 'Delete this endpoint',
  deleteEndpointOf: 'Delete this endpoint: {url}',
};

export type WebhooksMessages = typeof en;

export const de: WebhooksMessages = {
  webhooksTitle: 'Webhooks',
  webhooksIntro:
    'Ihre eigenen Systeme können benachrichtigt werden, wenn ein Anruf endet, eine Löschung abgeschlossen oder ein Sicherheitsvorfall eröffnet wird: Registrieren Sie eine HTTPS-Adresse und wählen Sie die Ereignisse. Jede Nachricht wird mit dem Geheimnis des Endpunkts signiert (Standard Webhooks, HMAC-SHA256) und mit wachsendem Abstand wiederholt, bis Ihr Server mit einem 2xx-Status antwortet.',
  memberCannotSeeWebhooks:
    'Nur Eigentümer und Administratoren können Webhook-Endpunkte registrieren oder sie und ihre Zustellungen sehen; Sie sind Mitglied, daher gibt es hier nichts für Sie anzuzeigen.',
  registerTitle: 'Endpunkt registrieren',
  url: 'Adresse (URL)',
  urlHint: 'https://, ohne Benutzernamen, Passwort oder #Fragment, an einer öffentlichen Adresse (keiner Loopback-, privaten oder reservierten).',
  events: 'Zu sendende Ereignisse',
  description: 'Beschreibung (optional)',
  register: 'Endpunkt registrieren',
  eventNames: {
    'call.completed': 'Ein Anruf ist beendet',
    'erasure.completed': 'Ein Löschantrag ist abgeschlossen',
    'erasure.partial': 'Eine Löschung in Ihrem eigenen Aufnahmespeicher wurde abgelehnt (unser Zugriff wurde entzogen)',
    'incident.opened': 'Ein Sicherheitsvorfall, der Sie betrifft, wurde eröffnet',
    'access.completed': 'Eine anrufende Person hat eine Kopie ihrer Daten erhalten',
  },
  createdTitle: 'Der Endpunkt ist registriert',
  secretOnce:
    'Kopieren Sie jetzt sein Signaturgeheimnis und bewahren Sie es in Ihrem System auf: Es wird nur dieses eine Mal gezeigt, weder hier noch über die API je wieder. Geht es verloren, löschen Sie den Endpunkt und registrieren Sie ihn neu.',
  secret: 'Signaturgeheimnis',
  deleted: 'Der Endpunkt ist gelöscht; noch ausstehende Zustellungen an ihn wurden mit ihm verworfen.',
  invalidUrl: 'Nichts wurde registriert: Geben Sie die Adresse des Endpunkts ein (höchstens 2000 Zeichen).',
  urlRefused:
    'Nichts wurde registriert: An diese Adresse können keine Webhooks gehen. Sie muss mit https:// beginnen, darf keinen Benutzernamen, kein Passwort und kein #Fragment enthalten und muss auf eine öffentliche Adresse zeigen, keine Loopback-, private oder reservierte.',
  noEvents: 'Nichts wurde registriert: Wählen Sie mindestens ein Ereignis.',
  descriptionTooLong: 'Nichts wurde registriert: Die Beschreibung darf höchstens 200 Zeichen haben.',
  tooMany: 'Nichts wurde registriert: Eine Organisation kann höchstens {n} Endpunkte haben. Löschen Sie zuerst einen.',
  alreadyTitle: 'Dieses Formular wurde bereits abgeschickt',
  alreadyRegistered:
    'Diesmal wurde nichts registriert: Mit diesem Formular wurde der Endpunkt {url} bereits registriert (beim Neuladen der Seite wird das Formular erneut gesendet). Sein Signaturgeheimnis wurde einmal gezeigt, in der Antwort auf das erste Absenden, und wird nicht erneut gezeigt. Haben Sie es nicht kopiert, löschen Sie den Endpunkt und registrieren Sie ihn neu: Die neue Registrierung erhält ein neues Geheimnis.',
  alreadyRegisteredDeleted:
    'Diesmal wurde nichts registriert: Mit diesem Formular wurde bereits ein Endpunkt registriert (beim Neuladen der Seite wird das Formular erneut gesendet), und dieser Endpunkt wurde inzwischen gelöscht. Sein Signaturgeheimnis wurde einmal gezeigt und wird nicht erneut gezeigt. Um einen Endpunkt zu registrieren, füllen Sie das Formular unten aus.',
  seeEndpoint: 'Den Endpunkt in der Liste ansehen',
  seeEndpoints: 'Die registrierten Endpunkte ansehen',
  formOutdated: 'Nichts wurde registriert: Dieses Formular war veraltet. Prüfen Sie die Angaben und schicken Sie es erneut ab.',
  endpointsTitle: 'Registrierte Endpunkte',
  noEndpoints: 'Noch ist kein Endpunkt registriert.',
  registered: 'Registriert',
  deliveries: 'Letzte Zustellungen',
  noDeliveries: 'An diesen Endpunkt wurde noch nichts gesendet.',
  deliveriesOf: 'Letzte Zustellungen an {url}',
  event: 'Ereignis',
  deliveryStatus: 'Status',
  attempts: 'Versuche',
  lastAnswer: 'Letzte Antwort',
  created: 'Erstellt',
  statusPending: 'Wartet auf den Versand (oder die Wiederholung)',
  statusDelivered: 'Zugestellt',
  statusFailed: 'Fehlgeschlagen: nach dem letzten Versuch aufgegeben',
  httpStatus: 'HTTP {code}',
  noAnswer: 'Noch keine Antwort',
  connectionFailed: 'Keine Antwort: Die Verbindung schlug fehl oder lief ab',
  deleteEndpoint: 'Diesen Endpunkt löschen',
  deleteEndpointOf: 'Diesen Endpunkt löschen: {url}',
};

export const pl: WebhooksMessages = {
  webhooksTitle: 'Webhooki',
  webhooksIntro:
    'Twoje systemy mogą być powiadamiane, gdy kończy się połączenie, zostaje wykonane usunięcie danych lub otwarty incydent bezpieczeństwa: zarejestruj adres HTTPS i wybierz zdarzenia. Każda wiadomość jest podpisana sekretem punktu końcowego (Standard Webhooks, HMAC-SHA256) i ponawiana z rosnącymi odstępami, aż Twój serwer odpowie statusem 2xx.',
  memberCannotSeeWebhooks:
    'Tylko właściciele i administratorzy mogą rejestrować punkty końcowe webhooków oraz je i ich dostarczenia oglądać; jesteś członkiem, więc nie ma tu nic do pokazania.',
  registerTitle: 'Zarejestruj punkt końcowy',
  url: 'Adres (URL)',
  urlHint: 'https://, bez nazwy użytkownika, hasła i #fragmentu, pod adresem publicznym (nie pętli zwrotnej, prywatnym ani zarezerwowanym).',
  events: 'Zdarzenia do wysyłania',
  description: 'Opis (opcjonalnie)',
  register: 'Zarejestruj punkt końcowy',
  eventNames: {
    'call.completed': 'Zakończyło się połączenie',
    'erasure.completed': 'Zakończono żądanie usunięcia danych',
    'erasure.partial': 'Usunięcie w Twoim własnym magazynie nagrań zostało odrzucone (odebrano nam dostęp)',
    'incident.opened': 'Otwarto incydent bezpieczeństwa, który Cię dotyczy',
    'access.completed': 'Osoba dzwoniąca otrzymała kopię swoich danych',
  },
  createdTitle: 'Punkt końcowy jest zarejestrowany',
  secretOnce:
    'Skopiuj teraz jego sekret podpisu i zachowaj go w swoim systemie: jest pokazywany tylko ten jeden raz i nigdy więcej, ani tutaj, ani przez API. Jeśli go zgubisz, usuń punkt końcowy i zarejestruj go ponownie.',
  secret: 'Sekret podpisu',
  deleted: 'Punkt końcowy jest usunięty; oczekujące do niego dostarczenia usunięto razem z nim.',
  invalidUrl: 'Niczego nie zarejestrowano: wpisz adres punktu końcowego (najwyżej 2000 znaków).',
  urlRefused:
    'Niczego nie zarejestrowano: na ten adres nie można wysyłać webhooków. Musi zaczynać się od https://, nie może zawierać nazwy użytkownika, hasła ani #fragmentu i musi wskazywać adres publiczny, a nie pętli zwrotnej, prywatny ani zarezerwowany.',
  noEvents: 'Niczego nie zarejestrowano: wybierz co najmniej jedno zdarzenie.',
  descriptionTooLong: 'Niczego nie zarejestrowano: opis może mieć najwyżej 200 znaków.',
  tooMany: 'Niczego nie zarejestrowano: organizacja może mieć najwyżej {n} punktów końcowych. Najpierw usuń jeden.',
  alreadyTitle: 'Ten formularz został już wysłany',
  alreadyRegistered:
    'Tym razem niczego nie zarejestrowano: ten formularz zarejestrował już punkt końcowy {url} (odświeżenie strony wysyła formularz ponownie). Jego sekret podpisu został pokazany raz, w odpowiedzi na pierwsze wysłanie, i nie zostanie pokazany ponownie. Jeśli go nie skopiowano, usuń punkt końcowy i zarejestruj go ponownie: nowa rejestracja otrzyma nowy sekret.',
  alreadyRegisteredDeleted:
    'Tym razem niczego nie zarejestrowano: ten formularz zarejestrował już punkt końcowy (odświeżenie strony wysyła formularz ponownie), a ten punkt końcowy został od tego czasu usunięty. Jego sekret podpisu został pokazany raz i nie zostanie pokazany ponownie. Aby zarejestrować punkt końcowy, wypełnij formularz poniżej.',
  seeEndpoint: 'Zobacz punkt końcowy na liście',
  seeEndpoints: 'Zobacz zarejestrowane punkty końcowe',
  formOutdated: 'Niczego nie zarejestrowano: ten formularz był nieaktualny. Sprawdź wpisane dane i wyślij go ponownie.',
  endpointsTitle: 'Zarejestrowane punkty końcowe',
  noEndpoints: 'Nie zarejestrowano jeszcze żadnego punktu końcowego.',
  registered: 'Zarejestrowano',
  deliveries: 'Ostatnie dostarczenia',
  noDeliveries: 'Do tego punktu końcowego nic jeszcze nie wysłano.',
  deliveriesOf: 'Ostatnie dostarczenia do {url}',
  event: 'Zdarzenie',
  deliveryStatus: 'Stan',
  attempts: 'Próby',
  lastAnswer: 'Ostatnia odpowiedź',
  created: 'Utworzono',
  statusPending: 'Czeka na wysłanie (lub ponowienie)',
  statusDelivered: 'Dostarczono',
  statusFailed: 'Nieudane: zaniechano po ostatniej próbie',
  httpStatus: 'HTTP {code}',
  noAnswer: 'Jeszcze brak odpowiedzi',
  connectionFailed: 'Brak odpowiedzi: połączenie nie powiodło się lub przekroczyło czas',
  deleteEndpoint: 'Usuń ten punkt końcowy',
  deleteEndpointOf: 'Usuń ten punkt końcowy: {url}',
};

export const WEBHOOKS_MESSAGES: Record<Lang, WebhooksMessages> = { en, de, pl };
