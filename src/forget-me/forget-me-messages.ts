/** The e-mail and SMS texts of the forget-me flow, in the language of the page the person used. */

export type Lang = 'en' | 'de' | 'pl';
export const LANGS: readonly Lang[] = ['en', 'de', 'pl'];

/** The confirmation e-mail with its link. */
export function confirmationMail(lang: Lang, link: string, validHours: number): { subject: string; text: string } {
  if (lang === 'de') {
    return {
      subject: 'Bitte bestätigen Sie Ihren Löschantrag',
      text: [
        'Guten Tag,',
        '',
        'jemand (hoffentlich Sie) hat auf unserer Datenschutzseite die Löschung aller Daten zu dieser E-Mail-Adresse beantragt.',
        '',
        `Zur Bestätigung öffnen Sie bitte diesen Link und drücken auf der Seite die Schaltfläche. Der Link gilt ${validHours} Stunden und nur einmal:`,
        link,
        '',
        'Nach der Bestätigung löschen wir bei allen Organisationen, die unseren Dienst nutzen, was wir zu dieser Adresse gespeichert haben: Kontakte, Anrufe, Transkripte und Aufzeichnungen, auch bei unseren Auftragsverarbeitern Twilio und ElevenLabs. Spätestens nach einem Monat ist das erledigt, und Sie erhalten eine Nachricht.',
        '',
        'Ob wir Daten zu Ihnen hatten, teilen wir aus Datenschutzgründen niemandem mit, auch nicht in dieser E-Mail.',
        '',
        'Wenn Sie das nicht beantragt haben, ignorieren Sie diese E-Mail einfach: Ohne Bestätigung geschieht nichts.',
      ].join('\n'),
    };
  }
  if (lang === 'pl') {
    return {
      subject: 'Prosimy potwierdzić wniosek o usunięcie danych',
      text: [
        'Dzień dobry,',
        '',
        'ktoś (mamy nadzieję, że Pan/Pani) złożył na naszej stronie prywatności wniosek o usunięcie wszystkich danych dotyczących tego adresu e-mail.',
        '',
        `Aby potwierdzić wniosek, prosimy otworzyć ten link i nacisnąć przycisk na stronie. Link jest ważny ${validHours} godziny i tylko jeden raz:`,
        link,
        '',
        'Po potwierdzeniu usuniemy we wszystkich organizacjach korzystających z naszej usługi to, co przechowujemy w związku z tym adresem: kontakty, połączenia, transkrypcje i nagrania, także kopie u naszych podmiotów przetwarzających, Twilio i ElevenLabs. Nastąpi to najpóźniej w ciągu miesiąca, a o zakończeniu poinformujemy.',
        '',
        'Ze względu na ochronę prywatności nikomu nie ujawniamy, czy mieliśmy czyjeś dane, także w tym e-mailu.',
        '',
        'Jeśli to nie Pan/Pani złożył(a) wniosek, wystarczy zignorować tę wiadomość: bez potwierdzenia nic się nie stanie.',
      ].join('\n'),
    };
  }
  return {
    subject: 'Please confirm your erasure request',
    text: [
      'Hello,',
      '',
      'Someone (we hope you) asked on our privacy page for every piece of data about this e-mail address to be erased.',
      '',
      `To confirm the request, open this link and press the button on the page. The link works for ${validHours} hours, and only once:`,
      link,
      '',
      'Once you confirm, we erase what we hold about this address at every organisation that uses our service: contacts, calls, transcripts and recordings, including the copies at our processors Twilio and ElevenLabs. This is done within one month at the latest, and we will tell you when it is.',
      '',
      'To protect everyone, we never say whether we held any data about a person, not even in this e-mail.',
      '',
      'If you did not ask for this, just ignore this e-mail: nothing happens without your confirmation.',
    ].join('\n'),
  };
}

/** The confirmation e-mail of an access request ("send me my data"), with its link. */
export function accessConfirmationMail(lang: Lang, link: string, validHours: number): { subject: string; text: string } {
  if (lang === 'de') {
    return {
      subject: 'Bitte bestätigen Sie Ihren Antrag auf Auskunft',
      text: [
        'Guten Tag,',
        '',
        'jemand (hoffentlich Sie) hat auf unserer Datenschutzseite eine Kopie aller Daten zu dieser E-Mail-Adresse angefordert (Auskunft, Art. 15 DSGVO).',
        '',
        `Zur Bestätigung öffnen Sie bitte diesen Link und drücken auf der Seite die Schaltfläche. Der Link gilt ${validHours} Stunden und nur einmal:`,
        link,
        '',
        'Danach erhalten Sie für jede Organisation, die Daten zu Ihnen hat, einen Download-Link (einmal nutzbar, 24 Stunden gültig). Ob wir Daten zu Ihnen haben, steht nicht in dieser E-Mail.',
        '',
        'Wenn Sie das nicht beantragt haben, ignorieren Sie diese E-Mail einfach: Ohne Bestätigung geschieht nichts.',
      ].join('\n'),
    };
  }
  if (lang === 'pl') {
    return {
      subject: 'Prosimy potwierdzić wniosek o dostęp do danych',
      text: [
        'Dzień dobry,',
        '',
        'ktoś (mamy nadzieję, że Pan/Pani) poprosił na naszej stronie prywatności o kopię wszystkich danych dotyczących tego adresu e-mail (prawo dostępu, art. 15 RODO).',
        '',
        `Aby potwierdzić wniosek, prosimy otworzyć ten link i nacisnąć przycisk na stronie. Link jest ważny ${validHours} godziny i tylko jeden raz:`,
        link,
        '',
        'Następnie otrzyma Pan/Pani link do pobrania dla każdej organizacji, która ma Pana/Pani dane (jednorazowy, ważny 24 godziny). Ten e-mail nie mówi, czy mamy jakiekolwiek dane.',
        '',
        'Jeśli to nie Pan/Pani złożył(a) wniosek, wystarczy zignorować tę wiadomość: bez potwierdzenia nic się nie stanie.',
      ].join('\n'),
    };
  }
  return {
    subject: 'Please confirm your request for a copy of your data',
    text: [
      'Hello,',
      '',
      'Someone (we hope you) asked on our privacy page for a copy of every piece of data about this e-mail address (right of access, Art. 15 GDPR).',
      '',
      `To confirm the request, open this link and press the button on the page. The link works for ${validHours} hours, and only once:`,
      link,
      '',
      'You then get one download link for each organisation holding data about you (each works once, for 24 hours). This e-mail does not say whether we hold any.',
      '',
      'If you did not ask for this, just ignore this e-mail: nothing happens without your confirmation.',
    ].join('\n'),
  };
}

/** The SMS carrying the code that proves a phone number, for the request it confirms. */
export function codeSms(lang: Lang, code: string, validMinutes: number, type: 'erasure' | 'access' | 'do_not_record' | 'recording_allowed' = 'erasure'): string {
  if (type === 'access') {
    if (lang === 'pl') return `Kod potwierdzający wniosek o kopię danych: ${code}. Ważny ${validMinutes} minut. To nie Pan/Pani? Prosimy zignorować tę wiadomość.`;
    if (lang === 'de') return `Ihr Code zur Bestätigung des Auskunftsantrags: ${code}. Er gilt ${validMinutes} Minuten. Nicht beantragt? Dann ignorieren Sie diese Nachricht.`;
    return `Your code to confirm the request for your data: ${code}. It works for ${validMinutes} minutes. Did not ask? Ignore this message.`;
  }
  if (type === 'do_not_record') {
    if (lang === 'pl') return `Kod potwierdzający, że Pana/Pani połączenia nie mają być nagrywane: ${code}. Ważny ${validMinutes} minut. To nie Pan/Pani? Prosimy zignorować.`;
    if (lang === 'de') return `Ihr Code zur Bestätigung, dass Ihre Anrufe nicht aufgezeichnet werden: ${code}. Er gilt ${validMinutes} Minuten. Nicht beantragt? Ignorieren Sie diese Nachricht.`;
    return `Your code to confirm that your calls are not recorded: ${code}. It works for ${validMinutes} minutes. Did not ask? Ignore this message.`;
  }
  if (type === 'recording_allowed') {
    if (lang === 'pl') return `Kod potwierdzający, że Pana/Pani połączenia mogą znów być nagrywane za zgodą: ${code}. Ważny ${validMinutes} minut. To nie Pan/Pani? Prosimy zignorować.`;
    if (lang === 'de') return `Ihr Code zur Bestätigung, dass Ihre Anrufe mit Ihrer Zustimmung wieder aufgezeichnet werden dürfen: ${code}. Er gilt ${validMinutes} Minuten. Nicht beantragt? Ignorieren Sie diese Nachricht.`;
    return `Your code to confirm that your calls may be recorded again, if you agree: ${code}. It works for ${validMinutes} minutes. Did not ask? Ignore this message.`;
  }
  if (lang === 'pl') return `Kod potwierdzający wniosek o usunięcie danych: ${code}. Ważny ${validMinutes} minut. To nie Pan/Pani? Prosimy zignorować tę wiadomość.`;
  return lang === 'de'
    ? `Ihr Code zur Bestätigung des Löschantrags: ${code}. Er gilt ${validMinutes} Minuten. Nicht beantragt? Dann ignorieren Sie diese Nachricht.`
    : `Your code to confirm the erasure request: ${code}. It works for ${validMinutes} minutes. Did not ask? Ignore this message.`;
}
