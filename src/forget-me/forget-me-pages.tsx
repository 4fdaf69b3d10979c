import type { ComponentChildren } from 'preact';
import { languageLinks, PublicLayout, renderPage } from '../dashboard/layout.js';
import type { Lang } from './forget-me-messages.js';
import type { Operator } from './forget-me-service.js';

/**
 * The forget-me pages: server-rendered Preact JSX in English, German and
 * Polish with the public pages' layout, no JavaScript, every field labelled,
 * errors announced (role="alert") and tied to their field. Preact escapes
 * everything from outside.
 */

const T = {
  en: {
    switchLabel: 'Language',
    operatorLabel: 'This service is run by',
    contactLabel2: 'Questions about your data',
    formTitle: 'Your data: get a copy, stop recording, erase it',
    intro: [
      'Companies use our service to answer their phone calls with an AI voice agent. If you called one of them, we may hold your phone number, a recording and a transcript of the call, or your name and e-mail address as a contact.',
      'Here you can ask for all of it to be erased, at every company that uses our service. You do not need an account.',
    ],
    stepsTitle: 'What happens',
    steps: [
      'You give your e-mail address or your phone number.',
      'We send a confirmation link to the address (it works for 24 hours, once), or a 6-digit code by SMS to the number (it works for 15 minutes).',
      'Once you confirm, we erase contacts, calls, transcripts, recordings and proofs of consent linked to it, including the copies at our processors Twilio and ElevenLabs. This is done within one month at the latest, usually within minutes.',
      'If we have an e-mail address for you, we tell you when it is done.',
    ],
    secret: 'We never reveal whether we hold data about you: everybody who fills in this form gets the same answer.',
    byEmail: 'By e-mail address',
    emailLabel: 'Your e-mail address',
    sendLink: 'Send confirmation link',
    byPhone: 'By phone number',
    phoneLabel: 'Your phone number',
    phoneHint: 'With the country code, for example +49 30 1234567.',
    contactLabel: 'E-mail address for the completion notice (optional)',
    contactHint: 'Only used to tell you when the erasure is done, then forgotten.',
    sendCode: 'Send code by SMS',
    phoneOff: 'Erasure by phone number is not available here at the moment: we cannot send SMS codes. Please use your e-mail address above, or ask the company you called.',
    errEmail: 'Please enter a valid e-mail address.',
    errPhone: 'Please enter a phone number with its country code, for example +49 30 1234567.',
    errContact: 'The e-mail address for the completion notice is not valid. Leave it empty or correct it.',
    errOne: 'Please give either an e-mail address or a phone number.',
    sentTitle: 'Check your inbox',
    sentBody: 'We have sent a confirmation link to the address you gave. It works for 24 hours, and only once. Nothing is erased until you open it and press the button on the page.',
    sentSpam: 'No e-mail after a few minutes? Look in your spam folder, or ask again.',
    codeTitle: 'Enter the code from the SMS',
    codeBody: (minutes: number, tries: number) =>
      `We have sent a 6-digit code to the number you gave. It works for ${minutes} minutes, and you have ${tries} tries. Nothing is erased until you enter it.`,
    codeLabel: 'Code (6 digits)',
    confirm: 'Confirm erasure',
    errCode: 'Please enter the 6 digits from the SMS.',
    askTitle: 'Confirm your erasure request',
    askBody: [
      'Someone (we hope you) asked on our privacy page for every piece of data about this e-mail address to be erased, at every organisation that uses our service. Nothing has been erased yet.',
      'When you press the button, we erase the contacts, calls, transcripts, recordings and proofs of consent linked to this address, including the copies at our processors Twilio and ElevenLabs.',
    ],
    askWarning: 'This cannot be undone.',
    askButton: 'Erase my data now',
    askIgnore: 'Did not ask for this? Just close this page: nothing happens without your confirmation.',
    doneTitle: 'Your request is confirmed',
    doneBody: (due: string) =>
      `We are erasing what we held about you at every organisation that uses our service, and asking Twilio and ElevenLabs to erase their copies. This is complete by ${due} at the latest, usually within minutes.`,
    doneNotice: 'If you gave us an e-mail address, we will tell you when it is done.',
    reference: 'Reference',
    back: 'Back to the privacy page',
    problems: {
      link_invalid: ['This link is not valid', 'Please open the link exactly as it was e-mailed, or ask again.'],
      link_expired: ['This link has expired', 'Confirmation links work for 24 hours. Please ask again: it only takes a minute.'],
      link_used: ['This link has already been used', 'Your request is confirmed. There is nothing more to do.'],
      origin_refused: [
        'This confirmation came from another website',
        'For your safety, an erasure can only be confirmed with the button on our own confirmation page. Please open the link from the e-mail again and press the button there.',
      ],
      code_incorrect: ['That code is not right', 'Please check the SMS and try again.'],
      code_expired: ['This code has expired', 'SMS codes work for 15 minutes. Please ask again.'],
      code_exhausted: ['Too many wrong codes', 'This code can no longer be used. Please ask again for a new one.'],
      code_used: ['This code has already been used', 'Your request is confirmed. There is nothing more to do.'],
      rate_limited: ['Too many requests', 'There have been too many requests from here or for this address or number. Please wait and try again later.'],
      delivery_failed: ['We could not send it just now', 'Please try again in a few minutes.'],
      feature_unavailable: ['Erasure by phone number is not available', 'We cannot send SMS codes here at the moment. Please ask with your e-mail address instead.'],
      download_used: ['This download has already been used', 'Each download link works once. Please ask again on the privacy page for a new one.'],
      download_expired: ['This download has expired', 'Download links work for 24 hours. Please ask again on the privacy page.'],
      download_not_found: ['This download link is not valid', 'Please open the link exactly as it was given, or ask again.'],
      phone_required: ['A phone number is needed', 'Not recording calls, and allowing it again, work by phone number only: please give the number you call from.'],
      bad_request: ['Something is wrong with this request', 'Please go back and try again.'],
      internal: ['Something went wrong on our side', 'Nothing was lost. Please try again in a few minutes.'],
    } as Record<string, [string, string]>,
    rights: {
      intro: 'You can ask for three things here, at every company that uses our service, without an account: a copy of your data, that your calls are not recorded (and, later, that they may be again), or that your data is erased.',
      accessTitle: 'Send me my data',
      accessIntro:
        'A copy of what each company holds about you (Art. 15 GDPR): calls, recordings\u2019 details, transcripts, contacts and proofs of consent, with who receives the data and how long it is kept. Once you confirm, you get one download per company, each working once, for 24 hours.',
      accessEmailLabel: 'E-mail address for the copy',
      accessSendLink: 'Send me a link to get my data',
      accessPhoneLabel: 'Phone number for the copy',
      accessSendCode: 'Text me a code to get my data',
      dnrTitle: 'Do not record my calls',
      dnrIntro:
        'Your objection to recording (Art. 21 GDPR): from then on, your calls from this number to any company that uses our service, including ones you have not called yet, are connected without a recording and without asking you; the greeting says the call is not recorded. It works by phone number only, confirmed by a code we text to it.',
      dnrPhoneLabel: 'The number you call from',
      dnrSendCode: 'Text me a code to stop recording',
      erasureTitle: 'Erase my data',
      confirmAccess: 'Confirm and get my data',
      confirmDnr: 'Confirm: do not record my calls',
      askAccessTitle: 'Confirm your request for your data',
      askAccessBody: 'Someone (we hope you) asked on our privacy page for a copy of every piece of data about this e-mail address. When you press the button, you get one download for each company that holds data about you.',
      askAccessButton: 'Show my downloads',
      accessDoneTitle: 'Your data',
      accessDoneBody: (n: number) =>
        n === 0
          ? 'No company that uses our service holds data about you.'
          : `${n === 1 ? 'One company holds' : `${n} companies hold`} data about you. Each link downloads that company\u2019s data as a JSON file, with who receives it and how long it is kept. Each works once, for 24 hours: save the file.`,
      download: (n: number) => `Download ${n} (JSON)`,
      accessNotified: 'Each company is told that you asked for your data.',
      dnrDoneTitle: 'Your calls will not be recorded',
      dnrDoneBody:
        'From now on, calls from this number to any company that uses our service are connected without a recording and without asking you, and the greeting says the call is not recorded. This also holds for companies you have not called yet, and it stays if you later ask for erasure.',
      dnrUndo: 'To undo it, use \u201cAllow recording again\u201d on the privacy page.',
      raTitle: 'Allow recording again',
      raIntro:
        'Withdraws your objection to recording: this number is taken off the do-not-record list, and from then on your calls from it are handled like anyone else\u2019s. Where a company asks for consent, you are asked at the start of the call, and nothing is recorded unless you agree. It works by phone number only, confirmed by a code we text to it.',
      raPhoneLabel: 'Number to allow recording for',
      raSendCode: 'Text me a code to allow recording again',
      confirmRa: 'Confirm: allow recording again',
      raDoneTitle: 'This number is not on the do-not-record list',
      raDoneBody:
        'From now on, calls from this number are handled like anyone else\u2019s: where a company asks for consent to recording, you are asked at the start of the call, and nothing is recorded unless you agree. You can object again at any time on the privacy page.',
      errPhoneOnly: 'Not recording calls, and allowing it again, work by phone number only: please give the number you call from.',
    },
    triesLeft: (n: number) => `${n} ${n === 1 ? 'try' : 'tries'} left.`,
  },
  de: {
    switchLabel: 'Sprache',
    operatorLabel: 'Betreiber dieses Dienstes',
    contactLabel2: 'Fragen zu Ihren Daten',
    formTitle: 'Ihre Daten: Auskunft, keine Aufzeichnung, Löschung',
    intro: [
      'Unternehmen nutzen unseren Dienst, um Anrufe mit einem KI-Sprachassistenten anzunehmen. Wenn Sie eines davon angerufen haben, speichern wir vielleicht Ihre Telefonnummer, eine Aufzeichnung und ein Transkript des Gesprächs oder Ihren Namen und Ihre E-Mail-Adresse als Kontakt.',
      'Hier können Sie beantragen, dass all das gelöscht wird, bei jedem Unternehmen, das unseren Dienst nutzt. Sie brauchen dafür kein Konto.',
    ],
    stepsTitle: 'So geht es weiter',
    steps: [
      'Sie geben Ihre E-Mail-Adresse oder Ihre Telefonnummer an.',
      'Wir senden einen Bestätigungslink an die Adresse (er gilt 24 Stunden und nur einmal) oder einen 6-stelligen Code per SMS an die Nummer (er gilt 15 Minuten).',
      'Nach Ihrer Bestätigung löschen wir Kontakte, Anrufe, Transkripte, Aufzeichnungen und Einwilligungsnachweise, die dazu gehören, auch die Kopien bei unseren Auftragsverarbeitern Twilio und ElevenLabs. Spätestens nach einem Monat ist das erledigt, meist nach wenigen Minuten.',
      'Wenn wir eine E-Mail-Adresse von Ihnen haben, sagen wir Ihnen Bescheid, sobald es erledigt ist.',
    ],
    secret: 'Ob wir Daten zu Ihnen haben, verraten wir nie: Alle, die dieses Formular ausfüllen, erhalten dieselbe Antwort.',
    byEmail: 'Per E-Mail-Adresse',
    emailLabel: 'Ihre E-Mail-Adresse',
    sendLink: 'Bestätigungslink senden',
    byPhone: 'Per Telefonnummer',
    phoneLabel: 'Ihre Telefonnummer',
    phoneHint: 'Mit Ländervorwahl, zum Beispiel +49 30 1234567.',
    contactLabel: 'E-Mail-Adresse für die Abschlussnachricht (freiwillig)',
    contactHint: 'Nur um Ihnen mitzuteilen, dass die Löschung erledigt ist; danach vergessen wir sie.',
    sendCode: 'Code per SMS senden',
    phoneOff: 'Die Löschung per Telefonnummer ist hier derzeit nicht möglich: Wir können keine SMS-Codes senden. Bitte nutzen Sie oben Ihre E-Mail-Adresse oder wenden Sie sich an das Unternehmen, das Sie angerufen haben.',
    errEmail: 'Bitte geben Sie eine gültige E-Mail-Adresse ein.',
    errPhone: 'Bitte geben Sie eine Telefonnummer mit Ländervorwahl ein, zum Beispiel +49 30 1234567.',
    errContact: 'Die E-Mail-Adresse für die Abschlussnachricht ist ungültig. Lassen Sie das Feld leer oder korrigieren Sie sie.',
    errOne: 'Bitte geben Sie entweder eine E-Mail-Adresse oder eine Telefonnummer an.',
    sentTitle: 'Bitte sehen Sie in Ihr Postfach',
    sentBody: 'Wir haben einen Bestätigungslink an die angegebene Adresse gesendet. Er gilt 24 Stunden und nur einmal. Gelöscht wird erst, wenn Sie ihn öffnen und auf der Seite die Schaltfläche drücken.',
    sentSpam: 'Nach ein paar Minuten keine E-Mail? Sehen Sie im Spam-Ordner nach oder stellen Sie den Antrag erneut.',
    codeTitle: 'Bitte geben Sie den Code aus der SMS ein',
    codeBody: (minutes: number, tries: number) =>
      `Wir haben einen 6-stelligen Code an die angegebene Nummer gesendet. Er gilt ${minutes} Minuten, und Sie haben ${tries} Versuche. Gelöscht wird erst, wenn Sie ihn eingeben.`,
    codeLabel: 'Code (6 Ziffern)',
    confirm: 'Löschung bestätigen',
    errCode: 'Bitte geben Sie die 6 Ziffern aus der SMS ein.',
    askTitle: 'Bitte bestätigen Sie Ihren Löschantrag',
    askBody: [
      'Jemand (hoffentlich Sie) hat auf unserer Datenschutzseite beantragt, dass alle Daten zu dieser E-Mail-Adresse gelöscht werden, bei allen Organisationen, die unseren Dienst nutzen. Bisher wurde nichts gelöscht.',
      'Wenn Sie die Schaltfläche drücken, löschen wir die Kontakte, Anrufe, Transkripte, Aufzeichnungen und Einwilligungsnachweise zu dieser Adresse, auch die Kopien bei unseren Auftragsverarbeitern Twilio und ElevenLabs.',
    ],
    askWarning: 'Das lässt sich nicht rückgängig machen.',
    askButton: 'Meine Daten jetzt löschen',
    askIgnore: 'Nicht beantragt? Dann schließen Sie diese Seite einfach: Ohne Ihre Bestätigung geschieht nichts.',
    doneTitle: 'Ihr Antrag ist bestätigt',
    doneBody: (due: string) =>
      `Wir löschen bei allen Organisationen, die unseren Dienst nutzen, was wir über Sie gespeichert hatten, und beauftragen Twilio und ElevenLabs, ihre Kopien zu löschen. Spätestens am ${due} ist das erledigt, meist nach wenigen Minuten.`,
    doneNotice: 'Wenn Sie uns eine E-Mail-Adresse genannt haben, sagen wir Ihnen Bescheid, sobald es erledigt ist.',
    reference: 'Aktenzeichen',
    back: 'Zurück zur Datenschutzseite',
    problems: {
      link_invalid: ['Dieser Link ist ungültig', 'Bitte öffnen Sie den Link genau so, wie er in der E-Mail steht, oder stellen Sie den Antrag erneut.'],
      link_expired: ['Dieser Link ist abgelaufen', 'Bestätigungslinks gelten 24 Stunden. Bitte stellen Sie den Antrag erneut; das dauert nur eine Minute.'],
      link_used: ['Dieser Link wurde schon benutzt', 'Ihr Antrag ist bestätigt. Sie müssen nichts weiter tun.'],
      origin_refused: [
        'Diese Bestätigung kam von einer anderen Website',
        'Zu Ihrer Sicherheit lässt sich eine Löschung nur mit der Schaltfläche auf unserer eigenen Bestätigungsseite bestätigen. Bitte öffnen Sie den Link aus der E-Mail erneut und drücken Sie dort die Schaltfläche.',
      ],
      code_incorrect: ['Der Code stimmt nicht', 'Bitte prüfen Sie die SMS und versuchen Sie es noch einmal.'],
      code_expired: ['Dieser Code ist abgelaufen', 'SMS-Codes gelten 15 Minuten. Bitte stellen Sie den Antrag erneut.'],
      code_exhausted: ['Zu viele falsche Codes', 'Dieser Code kann nicht mehr benutzt werden. Bitte fordern Sie einen neuen an.'],
      code_used: ['Dieser Code wurde schon benutzt', 'Ihr Antrag ist bestätigt. Sie müssen nichts weiter tun.'],
      rate_limited: ['Zu viele Anfragen', 'Von hier oder für diese Adresse oder Nummer kamen zu viele Anfragen. Bitte warten Sie und versuchen Sie es später noch einmal.'],
      delivery_failed: ['Wir konnten gerade nichts senden', 'Bitte versuchen Sie es in ein paar Minuten noch einmal.'],
      feature_unavailable: ['Löschung per Telefonnummer nicht möglich', 'Wir können hier derzeit keine SMS-Codes senden. Bitte stellen Sie den Antrag mit Ihrer E-Mail-Adresse.'],
      download_used: ['Dieser Download wurde schon benutzt', 'Jeder Download-Link gilt nur einmal. Bitte stellen Sie den Antrag erneut.'],
      download_expired: ['Dieser Download ist abgelaufen', 'Download-Links gelten 24 Stunden. Bitte stellen Sie den Antrag erneut.'],
      download_not_found: ['Dieser Download-Link ist ungültig', 'Bitte öffnen Sie den Link genau so, wie er angezeigt wurde, oder stellen Sie den Antrag erneut.'],
      phone_required: ['Eine Telefonnummer wird benötigt', 'Das Nicht-Aufzeichnen und seine Rücknahme gehen nur per Telefonnummer: Bitte geben Sie die Nummer an, von der Sie anrufen.'],
      bad_request: ['Mit dieser Anfrage stimmt etwas nicht', 'Bitte gehen Sie zurück und versuchen Sie es noch einmal.'],
      internal: ['Bei uns ist etwas schiefgegangen', 'Es ging nichts verloren. Bitte versuchen Sie es in ein paar Minuten noch einmal.'],
    } as Record<string, [string, string]>,
    rights: {
      intro: 'Hier können Sie drei Dinge beantragen, bei jedem Unternehmen, das unseren Dienst nutzt, ohne Konto: eine Kopie Ihrer Daten, dass Ihre Anrufe nicht aufgezeichnet werden (und dies später wieder zurücknehmen), oder die Löschung Ihrer Daten.',
      accessTitle: 'Meine Daten zusenden',
      accessIntro:
        'Eine Kopie dessen, was jedes Unternehmen über Sie gespeichert hat (Art. 15 DSGVO): Anrufe, Angaben zu Aufzeichnungen, Transkripte, Kontakte und Einwilligungsnachweise, dazu wer die Daten erhält und wie lange sie gespeichert werden. Nach Ihrer Bestätigung erhalten Sie je Unternehmen einen Download, einmal nutzbar und 24 Stunden gültig.',
      accessEmailLabel: 'E-Mail-Adresse für die Kopie',
      accessSendLink: 'Link für meine Daten senden',
      accessPhoneLabel: 'Telefonnummer für die Kopie',
      accessSendCode: 'Code für meine Daten per SMS senden',
      dnrTitle: 'Meine Anrufe nicht aufzeichnen',
      dnrIntro:
        'Ihr Widerspruch gegen die Aufzeichnung (Art. 21 DSGVO): Ab dann werden Ihre Anrufe von dieser Nummer bei jedem Unternehmen, das unseren Dienst nutzt, auch bei solchen, die Sie noch nie angerufen haben, ohne Aufzeichnung und ohne Nachfrage verbunden; die Begrüßung sagt, dass nicht aufgezeichnet wird. Das geht nur per Telefonnummer, bestätigt mit einem Code per SMS.',
      dnrPhoneLabel: 'Die Nummer, von der Sie anrufen',
      dnrSendCode: 'Code gegen Aufzeichnung per SMS senden',
      erasureTitle: 'Meine Daten löschen lassen',
      confirmAccess: 'Bestätigen und Daten erhalten',
      confirmDnr: 'Bestätigen: Anrufe nicht aufzeichnen',
      askAccessTitle: 'Bitte bestätigen Sie Ihren Auskunftsantrag',
      askAccessBody: 'Jemand (hoffentlich Sie) hat auf unserer Datenschutzseite eine Kopie aller Daten zu dieser E-Mail-Adresse angefordert. Wenn Sie die Schaltfläche drücken, erhalten Sie je Unternehmen, das Daten zu Ihnen hat, einen Download.',
      askAccessButton: 'Meine Downloads anzeigen',
      accessDoneTitle: 'Ihre Daten',
      accessDoneBody: (n: number) =>
        n === 0
          ? 'Kein Unternehmen, das unseren Dienst nutzt, hat Daten zu Ihnen.'
          : `${n === 1 ? 'Ein Unternehmen hat' : `${n} Unternehmen haben`} Daten zu Ihnen. Jeder Link lädt die Daten dieses Unternehmens als JSON-Datei herunter, mit den Empfängern und der Speicherdauer. Jeder gilt einmal und 24 Stunden: Speichern Sie die Datei.`,
      download: (n: number) => `Download ${n} (JSON)`,
      accessNotified: 'Jedes Unternehmen erfährt, dass Sie Auskunft verlangt haben.',
      dnrDoneTitle: 'Ihre Anrufe werden nicht aufgezeichnet',
      dnrDoneBody:
        'Ab jetzt werden Anrufe von dieser Nummer bei jedem Unternehmen, das unseren Dienst nutzt, ohne Aufzeichnung und ohne Nachfrage verbunden, und die Begrüßung sagt, dass nicht aufgezeichnet wird. Das gilt auch für Unternehmen, die Sie noch nicht angerufen haben, und bleibt bestehen, wenn Sie später die Löschung verlangen.',
      dnrUndo: 'Rückgängig machen können Sie das auf der Datenschutzseite unter \u201eAufzeichnung wieder erlauben\u201c.',
      raTitle: 'Aufzeichnung wieder erlauben',
      raIntro:
        'Damit nehmen Sie Ihren Widerspruch gegen die Aufzeichnung zurück: Diese Nummer wird von der Liste \u201eNicht aufzeichnen\u201c gestrichen, und Ihre Anrufe von ihr werden danach wie alle anderen behandelt. Wo ein Unternehmen um Einwilligung bittet, werden Sie zu Beginn des Anrufs gefragt, und ohne Ihre Zustimmung wird nichts aufgezeichnet. Das geht nur per Telefonnummer, bestätigt mit einem Code per SMS.',
      raPhoneLabel: 'Nummer, für die Aufzeichnung wieder erlaubt wird',
      raSendCode: 'Code zum Erlauben per SMS senden',
      confirmRa: 'Bestätigen: Aufzeichnung wieder erlauben',
      raDoneTitle: 'Diese Nummer steht nicht auf der Liste \u201eNicht aufzeichnen\u201c',
      raDoneBody:
        'Ab jetzt werden Anrufe von dieser Nummer wie alle anderen behandelt: Wo ein Unternehmen um Einwilligung zur Aufzeichnung bittet, werden Sie zu Beginn des Anrufs gefragt, und ohne Ihre Zustimmung wird nichts aufgezeichnet. Sie können jederzeit auf der Datenschutzseite erneut widersprechen.',
      errPhoneOnly: 'Das Nicht-Aufzeichnen und seine Rücknahme gehen nur per Telefonnummer: Bitte geben Sie die Nummer an, von der Sie anrufen.',
    },
    triesLeft: (n: number) => `Noch ${n} ${n === 1 ? 'Versuch' : 'Versuche'}.`,
  },
  pl: {
    switchLabel: 'Język',
    operatorLabel: 'Operator usługi',
    contactLabel2: 'Pytania dotyczące Pana/Pani danych',
    formTitle: 'Pana/Pani dane: kopia, bez nagrywania, usunięcie',
    intro: [
      'Firmy korzystają z naszej usługi, aby odbierać połączenia telefoniczne za pomocą asystenta głosowego AI. Jeśli dzwonił(a) Pan/Pani do jednej z nich, możemy przechowywać Pana/Pani numer telefonu, nagranie i transkrypcję rozmowy albo imię i nazwisko oraz adres e-mail jako dane kontaktowe.',
      'Tutaj może Pan/Pani zażądać usunięcia tych wszystkich danych we wszystkich firmach, które korzystają z naszej usługi. Konto nie jest potrzebne.',
    ],
    stepsTitle: 'Jak to przebiega',
    steps: [
      'Podaje Pan/Pani swój adres e-mail albo numer telefonu.',
      'Wysyłamy link potwierdzający na podany adres (ważny 24 godziny, jednorazowy) albo 6-cyfrowy kod SMS-em na podany numer (ważny 15 minut).',
      'Po potwierdzeniu usuwamy powiązane z nim kontakty, połączenia, transkrypcje, nagrania i dowody zgody, także kopie u naszych podmiotów przetwarzających, Twilio i ElevenLabs. Następuje to najpóźniej w ciągu miesiąca, zwykle w ciągu kilku minut.',
      'Jeśli mamy Pana/Pani adres e-mail, poinformujemy o zakończeniu usuwania.',
    ],
    secret: 'Nigdy nie ujawniamy, czy przechowujemy czyjeś dane: każda osoba, która wypełni ten formularz, otrzymuje tę samą odpowiedź.',
    byEmail: 'Przez adres e-mail',
    emailLabel: 'Pana/Pani adres e-mail',
    sendLink: 'Wyślij link potwierdzający',
    byPhone: 'Przez numer telefonu',
    phoneLabel: 'Pana/Pani numer telefonu',
    phoneHint: 'Z numerem kierunkowym kraju, na przykład +48 22 1234567.',
    contactLabel: 'Adres e-mail do powiadomienia o zakończeniu (opcjonalnie)',
    contactHint: 'Służy wyłącznie do poinformowania o zakończeniu usuwania, potem o nim zapominamy.',
    sendCode: 'Wyślij kod SMS-em',
    phoneOff: 'Usunięcie danych przez numer telefonu nie jest tu obecnie możliwe: nie możemy wysyłać kodów SMS. Prosimy podać powyżej adres e-mail albo zwrócić się do firmy, do której Pan/Pani dzwonił(a).',
    errEmail: 'Prosimy podać prawidłowy adres e-mail.',
    errPhone: 'Prosimy podać numer telefonu z numerem kierunkowym kraju, na przykład +48 22 1234567.',
    errContact: 'Adres e-mail do powiadomienia o zakończeniu jest nieprawidłowy. Prosimy zostawić pole puste albo go poprawić.',
    errOne: 'Prosimy podać albo adres e-mail, albo numer telefonu.',
    sentTitle: 'Prosimy sprawdzić skrzynkę odbiorczą',
    sentBody: 'Wysłaliśmy link potwierdzający na podany adres. Jest ważny 24 godziny i tylko jeden raz. Nic nie zostanie usunięte, dopóki nie otworzy go Pan/Pani i nie naciśnie przycisku na stronie.',
    sentSpam: 'Po kilku minutach nadal brak wiadomości? Prosimy zajrzeć do folderu ze spamem albo złożyć wniosek ponownie.',
    codeTitle: 'Prosimy wpisać kod z SMS-a',
    codeBody: (minutes: number, tries: number) =>
      `Wysłaliśmy 6-cyfrowy kod na podany numer. Jest ważny ${minutes} minut, a liczba prób wynosi ${tries}. Nic nie zostanie usunięte, dopóki go Pan/Pani nie wpisze.`,
    codeLabel: 'Kod (6 cyfr)',
    confirm: 'Potwierdź usunięcie',
    errCode: 'Prosimy wpisać 6 cyfr z SMS-a.',
    askTitle: 'Prosimy potwierdzić wniosek o usunięcie danych',
    askBody: [
      'Ktoś (mamy nadzieję, że Pan/Pani) złożył na naszej stronie prywatności wniosek o usunięcie wszystkich danych dotyczących tego adresu e-mail we wszystkich organizacjach korzystających z naszej usługi. Na razie nic nie zostało usunięte.',
      'Po naciśnięciu przycisku usuniemy kontakty, połączenia, transkrypcje, nagrania i dowody zgody powiązane z tym adresem, także kopie u naszych podmiotów przetwarzających, Twilio i ElevenLabs.',
    ],
    askWarning: 'Tej operacji nie można cofnąć.',
    askButton: 'Usuń teraz moje dane',
    askIgnore: 'To nie Pan/Pani złożył(a) wniosek? Wystarczy zamknąć tę stronę: bez potwierdzenia nic się nie stanie.',
    doneTitle: 'Wniosek został potwierdzony',
    doneBody: (due: string) =>
      `Usuwamy dane, które przechowywaliśmy na Pana/Pani temat, we wszystkich organizacjach korzystających z naszej usługi, i zlecamy Twilio oraz ElevenLabs usunięcie ich kopii. Nastąpi to najpóźniej ${due}, zwykle w ciągu kilku minut.`,
    doneNotice: 'Jeśli podał(a) nam Pan/Pani adres e-mail, poinformujemy o zakończeniu usuwania.',
    reference: 'Numer referencyjny',
    back: 'Powrót do strony prywatności',
    problems: {
      link_invalid: ['Ten link jest nieprawidłowy', 'Prosimy otworzyć link dokładnie w takiej postaci, w jakiej przyszedł e-mailem, albo złożyć wniosek ponownie.'],
      link_expired: ['Ten link wygasł', 'Linki potwierdzające są ważne 24 godziny. Prosimy złożyć wniosek ponownie: zajmie to tylko minutę.'],
      link_used: ['Ten link został już użyty', 'Wniosek jest potwierdzony. Nie trzeba nic więcej robić.'],
      origin_refused: [
        'To potwierdzenie pochodzi z innej strony internetowej',
        'Dla Pana/Pani bezpieczeństwa usunięcie danych można potwierdzić wyłącznie przyciskiem na naszej własnej stronie potwierdzenia. Prosimy ponownie otworzyć link z e-maila i nacisnąć tam przycisk.',
      ],
      code_incorrect: ['Ten kod jest nieprawidłowy', 'Prosimy sprawdzić SMS-a i spróbować ponownie.'],
      code_expired: ['Ten kod wygasł', 'Kody SMS są ważne 15 minut. Prosimy złożyć wniosek ponownie.'],
      code_exhausted: ['Zbyt wiele błędnych kodów', 'Tego kodu nie można już użyć. Prosimy poprosić o nowy.'],
      code_used: ['Ten kod został już użyty', 'Wniosek jest potwierdzony. Nie trzeba nic więcej robić.'],
      rate_limited: ['Zbyt wiele żądań', 'Z tego miejsca albo dla tego adresu lub numeru przyszło zbyt wiele żądań. Prosimy odczekać i spróbować ponownie później.'],
      delivery_failed: ['Nie udało się teraz wysłać wiadomości', 'Prosimy spróbować ponownie za kilka minut.'],
      feature_unavailable: ['Usunięcie danych przez numer telefonu jest niedostępne', 'Nie możemy tu obecnie wysyłać kodów SMS. Prosimy złożyć wniosek, podając adres e-mail.'],
      download_used: ['Ten plik został już pobrany', 'Każdy link do pobrania działa raz. Prosimy złożyć wniosek ponownie.'],
      download_expired: ['Ten link do pobrania wygasł', 'Linki do pobrania są ważne 24 godziny. Prosimy złożyć wniosek ponownie.'],
      download_not_found: ['Ten link do pobrania jest nieprawidłowy', 'Prosimy otworzyć link dokładnie w takiej postaci, w jakiej został podany, albo złożyć wniosek ponownie.'],
      phone_required: ['Potrzebny jest numer telefonu', 'Nienagrywanie i jego cofnięcie działają tylko dla numeru telefonu: prosimy podać numer, z którego Pan/Pani dzwoni.'],
      bad_request: ['Coś jest nie tak z tym żądaniem', 'Prosimy wrócić i spróbować ponownie.'],
      internal: ['Wystąpił błąd po naszej stronie', 'Nic nie zostało utracone. Prosimy spróbować ponownie za kilka minut.'],
    } as Record<string, [string, string]>,
    rights: {
      intro: 'Tutaj, bez konta, może Pan/Pani zażądać we wszystkich firmach korzystających z naszej usługi jednej z trzech rzeczy: kopii swoich danych, nienagrywania swoich połączeń (a później wycofania tego sprzeciwu) albo usunięcia swoich danych.',
      accessTitle: 'Prześlij mi moje dane',
      accessIntro:
        'Kopia tego, co każda firma przechowuje na Pana/Pani temat (art. 15 RODO): połączenia, informacje o nagraniach, transkrypcje, kontakty i dowody zgody, wraz z odbiorcami danych i okresem ich przechowywania. Po potwierdzeniu otrzyma Pan/Pani jeden plik do pobrania na firmę, jednorazowy i ważny 24 godziny.',
      accessEmailLabel: 'Adres e-mail do kopii danych',
      accessSendLink: 'Wyślij link do moich danych',
      accessPhoneLabel: 'Numer telefonu do kopii danych',
      accessSendCode: 'Wyślij SMS-em kod do moich danych',
      dnrTitle: 'Nie nagrywaj moich połączeń',
      dnrIntro:
        'Sprzeciw wobec nagrywania (art. 21 RODO): od tej chwili Pana/Pani połączenia z tego numeru do każdej firmy korzystającej z naszej usługi, także takiej, do której jeszcze Pan/Pani nie dzwonił(a), są łączone bez nagrywania i bez pytania; powitanie informuje, że rozmowa nie jest nagrywana. Działa tylko dla numeru telefonu, potwierdzonego kodem SMS.',
      dnrPhoneLabel: 'Numer, z którego Pan/Pani dzwoni',
      dnrSendCode: 'Wyślij SMS-em kod, aby nie nagrywać',
      erasureTitle: 'Usuń moje dane',
      confirmAccess: 'Potwierdź i pobierz dane',
      confirmDnr: 'Potwierdź: nie nagrywaj moich połączeń',
      askAccessTitle: 'Prosimy potwierdzić wniosek o kopię danych',
      askAccessBody: 'Ktoś (mamy nadzieję, że Pan/Pani) poprosił na naszej stronie prywatności o kopię wszystkich danych dotyczących tego adresu e-mail. Po naciśnięciu przycisku otrzyma Pan/Pani plik do pobrania dla każdej firmy, która ma Pana/Pani dane.',
      askAccessButton: 'Pokaż moje pliki do pobrania',
      accessDoneTitle: 'Pana/Pani dane',
      accessDoneBody: (n: number) =>
        n === 0
          ? 'Żadna firma korzystająca z naszej usługi nie ma Pana/Pani danych.'
          : `Liczba firm, które mają Pana/Pani dane: ${n}. Każdy link pobiera dane danej firmy jako plik JSON, z odbiorcami i okresem przechowywania. Każdy działa raz, przez 24 godziny: prosimy zapisać plik.`,
      download: (n: number) => `Pobierz ${n} (JSON)`,
      accessNotified: 'Każda firma dowie się, że zażądał(a) Pan/Pani dostępu do danych.',
      dnrDoneTitle: 'Pana/Pani połączenia nie będą nagrywane',
      dnrDoneBody:
        'Od teraz połączenia z tego numeru do każdej firmy korzystającej z naszej usługi są łączone bez nagrywania i bez pytania, a powitanie informuje, że rozmowa nie jest nagrywana. Dotyczy to także firm, do których jeszcze Pan/Pani nie dzwonił(a), i pozostaje w mocy po ewentualnym usunięciu danych.',
      dnrUndo: 'Można to cofnąć na stronie prywatności, wybierając \u201ePonownie zezwól na nagrywanie\u201d.',
      raTitle: 'Ponownie zezwól na nagrywanie',
      raIntro:
        'Wycofanie sprzeciwu wobec nagrywania: ten numer zostaje usunięty z listy numerów, których nie nagrywamy, a połączenia z niego są odtąd traktowane jak wszystkie inne. Jeśli firma prosi o zgodę, zapytamy o nią na początku rozmowy, a bez Pana/Pani zgody nic nie zostanie nagrane. Działa tylko dla numeru telefonu, potwierdzonego kodem SMS.',
      raPhoneLabel: 'Numer, dla którego zezwalam na nagrywanie',
      raSendCode: 'Wyślij SMS-em kod, aby zezwolić na nagrywanie',
      confirmRa: 'Potwierdź: ponownie zezwól na nagrywanie',
      raDoneTitle: 'Tego numeru nie ma na liście numerów, których nie nagrywamy',
      raDoneBody:
        'Od teraz połączenia z tego numeru są traktowane jak wszystkie inne: jeśli firma prosi o zgodę na nagrywanie, zapytamy o nią na początku rozmowy, a bez Pana/Pani zgody nic nie zostanie nagrane. W każdej chwili może Pan/Pani ponownie zgłosić sprzeciw na stronie prywatności.',
      errPhoneOnly: 'Nienagrywanie i jego cofnięcie działają tylko dla numeru telefonu: prosimy podać numer, z którego Pan/Pani dzwoni.',
    },
    triesLeft: (n: number) => `Pozostało prób: ${n}.`,
  },
};

const LOCALE: Record<Lang, string> = { en: 'en-GB', de: 'de-DE', pl: 'pl-PL' };

/** What every page needs besides its content: its language and who runs the service (Art. 13(1)(a)). */
export interface PageContext {
  lang: Lang;
  operator: Operator;
}

/** Every forget-me page: the language switch (links to this page in the other languages) and who runs the service. */
function Page({ page, title, switchHref, children }: { page: PageContext; title: string; switchHref: (lang: Lang) => string; children: ComponentChildren }) {
  const { lang, operator } = page;
  const t = T[lang];
  const links = languageLinks(lang, switchHref);
  const footer = (
    <>
      <p>
        {t.operatorLabel}: <strong id="operator-name">{operator.name}</strong>
      </p>
      <p>
        {t.contactLabel2}:{' '}
        <a id="privacy-contact" href={`mailto:${encodeURI(operator.privacyEmail)}`}>
          {operator.privacyEmail}
        </a>
      </p>
    </>
  );
  return (
    <PublicLayout lang={lang} title={title} languages={{ label: t.switchLabel, links }} noindex footer={footer}>
      {children}
    </PublicLayout>
  );
}

const formHref = (lang: Lang) => `/forget-me?lang=${lang}`;

export type FormField = 'email' | 'phone' | 'contact_email';

/** The right a form asks for (the `request_type` it posts). */
export type RequestKind = 'erasure' | 'access' | 'do_not_record' | 'recording_allowed';

export interface FormState {
  /** Which form was refused: its fields get the values and the error back. Erasure when not given. */
  requestType?: RequestKind;
  /** Values to put back into the fields (after a refused submission). */
  values?: Partial<Record<FormField, string>>;
  /** Which field is wrong; 'form' when it is the combination. */
  error?: { field: FormField | 'form'; kind: 'email' | 'phone' | 'contact_email' | 'one' | 'phone_only' };
}

function errorText(lang: Lang, kind: NonNullable<FormState['error']>['kind']): string {
  const t = T[lang];
  return { email: t.errEmail, phone: t.errPhone, contact_email: t.errContact, one: t.errOne, phone_only: t.rights.errPhoneOnly }[kind];
}

/** The hidden field that keeps the page's language through a form post. */
const LangField = ({ lang }: { lang: Lang }) => <input type="hidden" name="lang" value={lang} />;

/** The hidden field that says which right a form asks for. */
const TypeField = ({ type }: { type: RequestKind }) => <input type="hidden" name="request_type" value={type} />;

/**
 * GET /forget-me, and the same form again with an error after a refused POST.
 * Without SMS (`phone: false`) the phone form is replaced by a note saying so.
 */
export function formPage(page: PageContext, state: FormState = {}, opts: { phone?: boolean } = {}): string {
  const { lang } = page;
  const t = T[lang];
  const r = t.rights;
  const err = state.error;
  const refused = state.requestType ?? 'erasure';
  /** The values put back, only into the form that was refused. */
  const v = (form: RequestKind) => (form === refused ? (state.values ?? {}) : {});
  /** aria-invalid and what describes the field: the error when it is the wrong one, and its hint. */
  const described = (field: FormField, hint?: string, form: RequestKind = 'erasure') => {
    const wrong = err?.field === field && form === refused;
    const by = [wrong ? 'form-error' : undefined, hint].filter(Boolean).join(' ');
    return { 'aria-invalid': wrong ? ('true' as const) : undefined, 'aria-describedby': by || undefined };
  };
  const phoneOff = (id: string) => (
    <p class="note" id={id}>
      {t.phoneOff}
    </p>
  );
  return renderPage(
    <Page page={page} title={t.formTitle} switchHref={formHref}>
      <h1>{t.formTitle}</h1>
      {err && (
        <div class="alert" role="alert" id="form-error">
          <p>{errorText(lang, err.kind)}</p>
        </div>
      )}
      {t.intro.slice(0, 1).map((p) => (
        <p>{p}</p>
      ))}
      <p>{r.intro}</p>
      <p class="note">
        <strong>{t.secret}</strong>
      </p>

      <>
        <h2 id="access-title">{r.accessTitle}</h2>
        <p>{r.accessIntro}</p>
        <form method="post" action="/forget-me" aria-label={`${r.accessTitle}: ${t.byEmail}`}>
          <LangField lang={lang} />
          <TypeField type="access" />
          <label for="access-email">{r.accessEmailLabel}</label>
          <input id="access-email" name="email" type="email" autocomplete="email" required maxLength={254} value={v('access').email ?? ''} {...described('email', undefined, 'access')} />
          <button type="submit">{r.accessSendLink}</button>
        </form>
        {opts.phone === false ? (
          phoneOff('access-phone-unavailable')
        ) : (
          <form method="post" action="/forget-me" aria-label={`${r.accessTitle}: ${t.byPhone}`}>
            <LangField lang={lang} />
            <TypeField type="access" />
            <label for="access-phone">{r.accessPhoneLabel}</label>
            <span class="hint" id="access-phone-hint">
              {t.phoneHint}
            </span>
            <input id="access-phone" name="phone" type="tel" autocomplete="tel" required maxLength={32} value={v('access').phone ?? ''} {...described('phone', 'access-phone-hint', 'access')} />
            <button type="submit">{r.accessSendCode}</button>
          </form>
        )}
      </>

      <>
        <h2 id="dnr-title">{r.dnrTitle}</h2>
        <p>{r.dnrIntro}</p>
        {opts.phone === false ? (
          phoneOff('dnr-phone-unavailable')
        ) : (
          <form method="post" action="/forget-me" aria-label={r.dnrTitle}>
            <LangField lang={lang} />
            <TypeField type="do_not_record" />
            <label for="dnr-phone">{r.dnrPhoneLabel}</label>
            <span class="hint" id="dnr-phone-hint">
              {t.phoneHint}
            </span>
            <input id="dnr-phone" name="phone" type="tel" autocomplete="tel" required maxLength={32} value={v('do_not_record').phone ?? ''} {...described('phone', 'dnr-phone-hint', 'do_not_record')} />
            <button type="submit">{r.dnrSendCode}</button>
          </form>
        )}
      </>

      <>
        <h2 id="ra-title">{r.raTitle}</h2>
        <p>{r.raIntro}</p>
        {opts.phone === false ? (
          phoneOff('ra-phone-unavailable')
        ) : (
          <form method="post" action="/forget-me" aria-label={r.raTitle}>
            <LangField lang={lang} />
            <TypeField type="recording_allowed" />
            <label for="ra-phone">{r.raPhoneLabel}</label>
            <span class="hint" id="ra-phone-hint">
              {t.phoneHint}
            </span>
            <input
              id="ra-phone"
              name="phone"
              type="tel"
              autocomplete="tel"
              required
              maxLength={32}
              value={v('recording_allowed').phone ?? ''}
              {...described('phone', 'ra-phone-hint', 'recording_allowed')}
            />
            <button type="submit">{r.raSendCode}</button>
          </form>
        )}
      </>

      <>
        <h2 id="erasure-title">{r.erasureTitle}</h2>
        {t.intro.slice(1).map((p) => (
          <p>{p}</p>
        ))}
        <h3>{t.stepsTitle}</h3>
        <ol>
          {t.steps.map((s) => (
            <li>{s}</li>
          ))}
        </ol>

        <form method="post" action="/forget-me" aria-labelledby="by-email">
          <h3 id="by-email">{t.byEmail}</h3>
          <LangField lang={lang} />
          <label for="email">{t.emailLabel}</label>
          <input id="email" name="email" type="email" autocomplete="email" required maxLength={254} value={v('erasure').email ?? ''} {...described('email')} />
          <button type="submit">{t.sendLink}</button>
        </form>

        {opts.phone === false ? (
          <section aria-labelledby="by-phone">
            <h3 id="by-phone">{t.byPhone}</h3>
            {phoneOff('phone-unavailable')}
          </section>
        ) : (
          <form method="post" action="/forget-me" aria-labelledby="by-phone">
            <h3 id="by-phone">{t.byPhone}</h3>
            <LangField lang={lang} />
            <label for="phone">{t.phoneLabel}</label>
            <span class="hint" id="phone-hint">
              {t.phoneHint}
            </span>
            <input id="phone" name="phone" type="tel" autocomplete="tel" required maxLength={32} value={v('erasure').phone ?? ''} {...described('phone', 'phone-hint')} />
            <label for="contact_email">{t.contactLabel}</label>
            <span class="hint" id="contact-hint">
              {t.contactHint}
            </span>
            <input
              id="contact_email"
              name="contact_email"
              type="email"
              autocomplete="email"
              maxLength={254}
              value={v('erasure').contact_email ?? ''}
              {...described('contact_email', 'contact-hint')}
            />
            <button type="submit">{t.sendCode}</button>
          </form>
        )}
      </>
    </Page>,
  );
}

/** After POST /forget-me with an e-mail address. */
export function linkSentPage(page: PageContext): string {
  const { lang } = page;
  const t = T[lang];
  return renderPage(
    <Page page={page} title={t.sentTitle} switchHref={formHref}>
      <h1>{t.sentTitle}</h1>
      <p role="status">{t.sentBody}</p>
      <p>{t.sentSpam}</p>
      <p class="note">{t.secret}</p>
      <p>
        <a href={formHref(lang)}>{t.back}</a>
      </p>
    </Page>,
  );
}

/** After POST /forget-me with a phone number, and again after a wrong code. */
export function codePage(
  page: PageContext,
  opts: { requestId: string; minutes: number; tries: number; error?: 'code_format' | { triesLeft: number }; requestType?: RequestKind },
): string {
  const { lang } = page;
  const t = T[lang];
  const e = opts.error;
  const errorMessage = e === undefined ? '' : e === 'code_format' ? t.errCode : `${t.problems.code_incorrect![0]}. ${t.triesLeft(e.triesLeft)}`;
  return renderPage(
    <Page page={page} title={t.codeTitle} switchHref={formHref}>
      <h1>{t.codeTitle}</h1>
      {errorMessage ? (
        <div class="alert" role="alert" id="code-error">
          <p>{errorMessage}</p>
        </div>
      ) : (
        <p role="status">{t.codeBody(opts.minutes, opts.tries)}</p>
      )}
      <form method="post" action="/forget-me/verify">
        <LangField lang={lang} />
        <input type="hidden" name="request_id" value={opts.requestId} />
        {opts.requestType && opts.requestType !== 'erasure' && <TypeField type={opts.requestType} />}
        <label for="code">{t.codeLabel}</label>
        <input
          id="code"
          name="code"
          type="text"
          inputMode="numeric"
          autocomplete="one-time-code"
          pattern="[0-9 ]{6,7}"
          maxLength={7}
          required
          aria-invalid={errorMessage ? 'true' : undefined}
          aria-describedby={errorMessage ? 'code-error' : undefined}
        />
        <button type="submit">
          {opts.requestType === 'access'
            ? t.rights.confirmAccess
            : opts.requestType === 'do_not_record'
              ? t.rights.confirmDnr
              : opts.requestType === 'recording_allowed'
                ? t.rights.confirmRa
                : t.confirm}
        </button>
      </form>
      <p class="note">{t.secret}</p>
      <p>
        <a href={formHref(lang)}>{t.back}</a>
      </p>
    </Page>,
  );
}

/** The confirmation link itself in the other language (the page keeps its token). */
const confirmHref = (token: string, lang: Lang) => `/forget-me/confirm?token=${encodeURIComponent(token)}&lang=${lang}`;

/**
 * GET /forget-me/confirm with a valid link: asks the person to confirm. Only
 * the button (a form POST of the token, no JavaScript) erases anything.
 */
export function confirmPage(page: PageContext, token: string, requestType: 'erasure' | 'access' = 'erasure'): string {
  const { lang } = page;
  const t = T[lang];
  if (requestType === 'access') {
    const r = t.rights;
    return renderPage(
      <Page page={page} title={r.askAccessTitle} switchHref={(l) => confirmHref(token, l)}>
        <h1 id="confirm-title">{r.askAccessTitle}</h1>
        <p>{r.askAccessBody}</p>
        <form method="post" action="/forget-me/confirm" aria-labelledby="confirm-title">
          <LangField lang={lang} />
          <input type="hidden" name="token" value={token} />
          <button type="submit">{r.askAccessButton}</button>
        </form>
        <p>{t.askIgnore}</p>
        <p class="note">{t.secret}</p>
      </Page>,
    );
  }
  return renderPage(
    <Page page={page} title={t.askTitle} switchHref={(l) => confirmHref(token, l)}>
      <h1 id="confirm-title">{t.askTitle}</h1>
      {t.askBody.map((p) => (
        <p>{p}</p>
      ))}
      <form method="post" action="/forget-me/confirm" aria-labelledby="confirm-title" aria-describedby="confirm-warning">
        <LangField lang={lang} />
        <input type="hidden" name="token" value={token} />
        <p class="alert" id="confirm-warning">
          <strong>{t.askWarning}</strong>
        </p>
        <button type="submit">{t.askButton}</button>
      </form>
      <p>{t.askIgnore}</p>
      <p class="note">{t.secret}</p>
    </Page>,
  );
}

/** After a link or code confirmed the request. */
export function confirmedPage(page: PageContext, request: { id: string; due_at: Date }): string {
  const { lang } = page;
  const t = T[lang];
  const due = new Intl.DateTimeFormat(LOCALE[lang], { dateStyle: 'long', timeZone: 'UTC' }).format(request.due_at);
  return renderPage(
    <Page page={page} title={t.doneTitle} switchHref={formHref}>
      <h1>{t.doneTitle}</h1>
      <p role="status">{t.doneBody(due)}</p>
      <p>{t.doneNotice}</p>
      <p>
        {t.reference}: <code>{request.id}</code>
      </p>
    </Page>,
  );
}

/** A verified access request: one download link per organisation holding data (none: says so). */
export function accessPage(page: PageContext, answer: { id: string; download_urls: string[] }): string {
  const { lang } = page;
  const t = T[lang];
  const r = t.rights;
  return renderPage(
    <Page page={page} title={r.accessDoneTitle} switchHref={formHref}>
      <h1>{r.accessDoneTitle}</h1>
      <p role="status">{r.accessDoneBody(answer.download_urls.length)}</p>
      {answer.download_urls.length > 0 && (
        <ul id="downloads">
          {answer.download_urls.map((url, i) => (
            <li>
              <a href={url} download>
                {r.download(i + 1)}
              </a>
            </li>
          ))}
        </ul>
      )}
      <p>{r.accessNotified}</p>
      <p>
        {t.reference}: <code>{answer.id}</code>
      </p>
    </Page>,
  );
}

/** A verified do-not-record request: the number is on the list. */
export function doNotRecordPage(page: PageContext, answer: { id: string }): string {
  const { lang } = page;
  const t = T[lang];
  const r = t.rights;
  return renderPage(
    <Page page={page} title={r.dnrDoneTitle} switchHref={formHref}>
      <h1>{r.dnrDoneTitle}</h1>
      <p role="status">{r.dnrDoneBody}</p>
      <p>{r.dnrUndo}</p>
      <p>
        {t.reference}: <code>{answer.id}</code>
      </p>
    </Page>,
  );
}

/** A refused link, code or request: what went wrong and what to do (400, 410, 429, 503, 500). */
export function problemPage(page: PageContext, code: string, extra?: string): string {
  const { lang } = page;
  const t = T[lang];
  const [title, body] = t.problems[code] ?? t.problems.bad_request!;
  return renderPage(
    <Page page={page} title={title} switchHref={formHref}>
      <h1>{title}</h1>
      <div class="alert" role="alert">
        <p>{extra ? `${body} ${extra}` : body}</p>
      </div>
      <p>
        <a href={formHref(lang)}>{t.back}</a>
      </p>
    </Page>,
  );
}

/** A verified recording-allowed request: the number is not on the list (the same words whether or not it was). */
export function recordingAllowedPage(page: PageContext, answer: { id: string }): string {
  const { lang } = page;
  const t = T[lang];
  const r = t.rights;
  return renderPage(
    <Page page={page} title={r.raDoneTitle} switchHref={formHref}>
      <h1>{r.raDoneTitle}</h1>
      <p role="status">{r.raDoneBody}</p>
      <p>
        {t.reference}: <code>{answer.id}</code>
      </p>
    </Page>,
  );
}
