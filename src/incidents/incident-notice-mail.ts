import type { NoticeContext } from './incident-notices-repo.js';

/** The languages a notice is written in besides English, by the organisation's country (its only known language hint). */
export type NoticeLang = 'en' | 'de' | 'pl';

/** German for DE, AT and CH, Polish for PL; otherwise English only. */
export function noticeLanguageOf(country: string | null): NoticeLang {
  if (country === 'DE' || country === 'AT' || country === 'CH') return 'de';
  if (country === 'PL') return 'pl';
  return 'en';
}

interface Texts {
  intro: (org: string) => string;
  roles: string;
  incident: string;
  severity: string;
  detected: string;
  contained: string;
  notContained: string;
  nature: string;
  categories: string;
  consequences: string;
  measures: string;
  contactPoint: string;
  notYetKnown: string;
  ackLink: (url: string, days: number) => string;
  ackSignedIn: string;
  repeat: (minutes: number) => string;
  reminder: (n: number) => string;
}

const TEXTS: Record<NoticeLang, Texts> = {
  en: {
    intro: (org) => `${org}: a security incident on our platform may affect personal data we process for you.`,
    roles:
      'We process this data for you as your processor (Art. 28 GDPR) and tell you without undue delay (Art. 33(2)). ' +
      'As the controller you decide whether your supervisory authority must be told, within 72 hours of becoming aware (Art. 33(1)), and whether the people affected must be (Art. 34).',
    incident: 'Incident',
    severity: 'Severity',
    detected: 'Detected',
    contained: 'Contained',
    notContained: 'not yet',
    nature: 'Nature of the breach',
    categories: 'Categories of personal data',
    consequences: 'Likely consequences',
    measures: 'Measures taken or proposed',
    contactPoint: 'Our contact point',
    notYetKnown: 'not yet known; we will tell you',
    ackLink: (url, days) => `Please confirm that you received this notice (no account needed; the link works once, for ${days} days):\n${url}`,
    ackSignedIn: 'Owners and admins can also acknowledge it in the dashboard or through the API:',
    repeat: (m) => `Until your organisation acknowledges it, we repeat this notice every ${m} minutes.`,
    reminder: (n) => `Reminder ${n}`,
  },
  de: {
    intro: (org) => `${org}: Ein Sicherheitsvorfall auf unserer Plattform kann personenbezogene Daten betreffen, die wir für Sie verarbeiten.`,
    roles:
      'Wir verarbeiten diese Daten als Ihr Auftragsverarbeiter (Art. 28 DSGVO) und informieren Sie unverzüglich (Art. 33 Abs. 2). ' +
      'Als Verantwortlicher entscheiden Sie, ob Ihre Aufsichtsbehörde binnen 72 Stunden ab Kenntnis zu benachrichtigen ist (Art. 33 Abs. 1) und ob die betroffenen Personen zu benachrichtigen sind (Art. 34).',
    incident: 'Vorfall',
    severity: 'Schweregrad',
    detected: 'Entdeckt',
    contained: 'Eingedämmt',
    notContained: 'noch nicht',
    nature: 'Art der Verletzung',
    categories: 'Kategorien personenbezogener Daten',
    consequences: 'Wahrscheinliche Folgen',
    measures: 'Ergriffene oder vorgeschlagene Maßnahmen',
    contactPoint: 'Unsere Anlaufstelle',
    notYetKnown: 'noch nicht bekannt; wir informieren Sie',
    ackLink: (url, days) => `Bitte bestätigen Sie den Erhalt dieser Meldung (kein Konto nötig; der Link gilt einmal, ${days} Tage lang):\n${url}`,
    ackSignedIn: 'Eigentümer und Administratoren können den Erhalt auch im Dashboard oder über die API bestätigen:',
    repeat: (m) => `Bis Ihre Organisation den Erhalt bestätigt, wiederholen wir diese Meldung alle ${m} Minuten.`,
    reminder: (n) => `Erinnerung ${n}`,
  },
  pl: {
    intro: (org) => `${org}: incydent bezpieczeństwa na naszej platformie może dotyczyć danych osobowych, które przetwarzamy w Państwa imieniu.`,
    roles:
      'Przetwarzamy te dane jako Państwa podmiot przetwarzający (art. 28 RODO) i informujemy bez zbędnej zwłoki (art. 33 ust. 2). ' +
      'Jako administrator decydują Państwo, czy zgłosić naruszenie organowi nadzorczemu w ciągu 72 godzin od jego stwierdzenia (art. 33 ust. 1) i czy zawiadomić osoby, których dane dotyczą (art. 34).',
    incident: 'Incydent',
    severity: 'Waga',
    detected: 'Wykryto',
    contained: 'Opanowano',
    notContained: 'jeszcze nie',
    nature: 'Charakter naruszenia',
    categories: 'Kategorie danych osobowych',
    consequences: 'Możliwe konsekwencje',
    measures: 'Podjęte lub proponowane środki',
    contactPoint: 'Nasz punkt kontaktowy',
    notYetKnown: 'jeszcze nieznane; poinformujemy Państwa',
    ackLink: (url, days) => `Prosimy potwierdzić otrzymanie tego zawiadomienia (konto nie jest potrzebne; link działa raz, przez ${days} dni):\n${url}`,
    ackSignedIn: 'Właściciele i administratorzy mogą też potwierdzić w panelu lub przez API:',
    repeat: (m) => `Dopóki Państwa organizacja nie potwierdzi otrzymania, powtarzamy to zawiadomienie co ${m} minut.`,
    reminder: (n) => `Przypomnienie ${n}`,
  },
};

/** One notice e-mail: English first, then the organisation's language when it is known to be another. */
export function noticeMail(n: {
  context: NoticeContext;
  incidentId: string;
  orgId: string;
  ackUrl: string;
  linkDays: number;
  publicBaseUrl: string;
  everyMinutes: number;
  /** 0 for the first notice, then 1, 2, … for each reminder */
  reminder: number;
}): { subject: string; text: string } {
  const c = n.context;
  const lang = noticeLanguageOf(c.country);
  const section = (t: Texts) =>
    [
      t.intro(c.org_name),
      '',
      t.roles,
      '',
      `${t.incident}: ${c.title}`,
      `${t.severity}: ${c.severity}`,
      `${t.detected}: ${c.detected_at.toISOString()}`,
      `${t.contained}: ${c.contained_at ? c.contained_at.toISOString() : t.notContained}`,
      `${t.nature}: ${c.nature ?? t.notYetKnown}`,
      `${t.categories}: ${c.data_categories?.length ? c.data_categories.join(', ') : t.notYetKnown}`,
      `${t.consequences}: ${c.likely_consequences ?? t.notYetKnown}`,
      `${t.measures}: ${c.measures ?? t.notYetKnown}`,
      `${t.contactPoint}: ${c.contact_point ?? t.notYetKnown}`,
      '',
      t.ackLink(n.ackUrl, n.linkDays),
      '',
      t.ackSignedIn,
      `  ${n.publicBaseUrl}/app/orgs/${n.orgId}/incidents`,
      `  POST ${n.publicBaseUrl}/api/orgs/${n.orgId}/incidents/${n.incidentId}/acknowledgement`,
      '',
      t.repeat(n.everyMinutes),
    ].join('\n');
  const sections = [section(TEXTS.en)];
  if (lang !== 'en') sections.push(section(TEXTS[lang]));
  const prefix = n.reminder > 0 ? `[${TEXTS.en.reminder(n.reminder)}] ` : '';
  return {
    subject: `${prefix}Security incident notice for ${c.org_name}: ${c.title} (acknowledgement needed)`,
    text: sections.join('\n\n----------------------------------------\n\n'),
  };
}
