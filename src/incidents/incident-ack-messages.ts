/** The public acknowledgement page's texts (English defines the shape). */
export const ACK_LANGS = ['en', 'de', 'pl'] as const;
export type AckLang = (typeof ACK_LANGS)[number];

const en = {
  title: 'Acknowledge a security incident notice',
  intro: (org: string) => `We told ${org} of the security incident below. Please confirm that your organisation received this notice: until it does, we repeat it every 30 minutes.`,
  incident: 'Incident',
  severity: 'Severity',
  detected: 'Detected',
  roles:
    'We are your processor (Art. 28 GDPR) and tell you without undue delay (Art. 33(2)). Acknowledging only confirms receipt. As the controller, you decide whether to notify your supervisory authority within 72 hours of becoming aware (Art. 33(1)) and the people affected (Art. 34).',
  button: 'Acknowledge receipt',
  ignore: 'Opening this page changes nothing: only the button records the acknowledgement.',
  doneTitle: 'Acknowledged',
  done: (at: string) => `Thank you: your organisation’s acknowledgement was recorded at ${at} (UTC). We stop repeating this notice.`,
  alreadyTitle: 'Already acknowledged',
  already: (at: string) => `This notice was already acknowledged at ${at} (UTC). There is nothing more to do.`,
  alreadyUsed: 'This link has already been used to acknowledge the notice. There is nothing more to do.',
  invalidTitle: 'This link cannot be used',
  invalid: 'This acknowledgement link is not valid: please use the link exactly as it was e-mailed.',
  expired: 'This acknowledgement link has expired. A newer notice e-mail carries a fresh link; owners and admins can also acknowledge in the dashboard.',
  origin: 'The acknowledgement can only be sent from this page: open the link from the e-mail and press its button.',
  tooMany: 'Too many attempts from this address: try again later.',
  error: 'Something went wrong. Please try again later.',
  languages: 'Language',
};
export type AckMessages = typeof en;

const de: AckMessages = {
  title: 'Erhalt einer Meldung zu einem Sicherheitsvorfall bestätigen',
  intro: (org) => `Wir haben ${org} über den unten genannten Sicherheitsvorfall informiert. Bitte bestätigen Sie, dass Ihre Organisation diese Meldung erhalten hat: Bis dahin wiederholen wir sie alle 30 Minuten.`,
  incident: 'Vorfall',
  severity: 'Schweregrad',
  detected: 'Entdeckt',
  roles:
    'Wir sind Ihr Auftragsverarbeiter (Art. 28 DSGVO) und informieren Sie unverzüglich (Art. 33 Abs. 2). Die Bestätigung bestätigt nur den Erhalt. Als Verantwortlicher entscheiden Sie, ob Sie Ihre Aufsichtsbehörde binnen 72 Stunden ab Kenntnis (Art. 33 Abs. 1) und die betroffenen Personen (Art. 34) benachrichtigen.',
  button: 'Erhalt bestätigen',
  ignore: 'Das Öffnen dieser Seite ändert nichts: Erst die Schaltfläche zeichnet die Bestätigung auf.',
  doneTitle: 'Bestätigt',
  done: (at) => `Danke: Die Bestätigung Ihrer Organisation wurde um ${at} (UTC) aufgezeichnet. Wir wiederholen diese Meldung nicht mehr.`,
  alreadyTitle: 'Bereits bestätigt',
  already: (at) => `Diese Meldung wurde bereits um ${at} (UTC) bestätigt. Es ist nichts weiter zu tun.`,
  alreadyUsed: 'Mit diesem Link wurde die Meldung bereits bestätigt. Es ist nichts weiter zu tun.',
  invalidTitle: 'Dieser Link kann nicht verwendet werden',
  invalid: 'Dieser Bestätigungslink ist ungültig: Bitte verwenden Sie den Link genau so, wie er per E-Mail kam.',
  expired: 'Dieser Bestätigungslink ist abgelaufen. Eine neuere Meldung enthält einen neuen Link; Eigentümer und Administratoren können auch im Dashboard bestätigen.',
  origin: 'Die Bestätigung kann nur von dieser Seite gesendet werden: Öffnen Sie den Link aus der E-Mail und drücken Sie die Schaltfläche.',
  tooMany: 'Zu viele Versuche von dieser Adresse: Bitte versuchen Sie es später erneut.',
  error: 'Etwas ist schiefgegangen. Bitte versuchen Sie es später erneut.',
  languages: 'Sprache',
};

const pl: AckMessages = {
  title: 'Potwierdzenie otrzymania zawiadomienia o incydencie bezpieczeństwa',
  intro: (org) => `Poinformowaliśmy ${org} o poniższym incydencie bezpieczeństwa. Prosimy potwierdzić, że Państwa organizacja otrzymała to zawiadomienie: do tego czasu powtarzamy je co 30 minut.`,
  incident: 'Incydent',
  severity: 'Waga',
  detected: 'Wykryto',
  roles:
    'Jesteśmy Państwa podmiotem przetwarzającym (art. 28 RODO) i informujemy bez zbędnej zwłoki (art. 33 ust. 2). Potwierdzenie dotyczy tylko otrzymania. Jako administrator decydują Państwo o zgłoszeniu organowi nadzorczemu w ciągu 72 godzin (art. 33 ust. 1) i o zawiadomieniu osób, których dane dotyczą (art. 34).',
  button: 'Potwierdź otrzymanie',
  ignore: 'Otwarcie tej strony niczego nie zmienia: potwierdzenie zapisuje dopiero przycisk.',
  doneTitle: 'Potwierdzono',
  done: (at) => `Dziękujemy: potwierdzenie Państwa organizacji zapisano o ${at} (UTC). Nie powtarzamy już tego zawiadomienia.`,
  alreadyTitle: 'Już potwierdzono',
  already: (at) => `To zawiadomienie potwierdzono już o ${at} (UTC). Nie trzeba nic więcej robić.`,
  alreadyUsed: 'Ten link został już użyty do potwierdzenia zawiadomienia. Nie trzeba nic więcej robić.',
  invalidTitle: 'Tego linku nie można użyć',
  invalid: 'Ten link potwierdzający jest nieprawidłowy: prosimy użyć linku dokładnie tak, jak przyszedł e-mailem.',
  expired: 'Ten link potwierdzający wygasł. Nowsze zawiadomienie zawiera nowy link; właściciele i administratorzy mogą też potwierdzić w panelu.',
  origin: 'Potwierdzenie można wysłać tylko z tej strony: otwórz link z e-maila i naciśnij przycisk.',
  tooMany: 'Zbyt wiele prób z tego adresu: spróbuj ponownie później.',
  error: 'Coś poszło nie tak. Spróbuj ponownie później.',
  languages: 'Język',
};

export const ACK_MESSAGES: Record<AckLang, AckMessages> = { en, de, pl };
export const ACK_LANGUAGE_NAMES: Record<AckLang, string> = { en: 'English', de: 'Deutsch', pl: 'Polski' };
