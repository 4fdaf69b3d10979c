import { fill, utcTime, type AdminMessages } from './admin-messages.js';
import { CsrfField, Layout, TableWrap, type PageContext } from './layout.js';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
type Severity = (typeof SEVERITIES)[number];

/** The Art. 33(3) contents, as the form names them (the API's field names). */
export const CONTENT_FIELDS = [
  'nature',
  'data_categories',
  'approx_subjects',
  'approx_records',
  'contact_point',
  'likely_consequences',
  'measures',
  'art34_required',
  'art34_exemption',
] as const;

/** Every field of the register form (the fields POST /api/admin/incidents takes). */
export const INCIDENT_FIELDS = ['title', 'severity', 'description', 'affected_org_ids', 'aware_at', 'detected_at', 'contained_at', ...CONTENT_FIELDS] as const;

export type ContentsValues = Record<(typeof CONTENT_FIELDS)[number], string>;
export type IncidentFormValues = Record<(typeof INCIDENT_FIELDS)[number], string>;
export type NotifyFormValues = ContentsValues & { authority_reference: string; delay_reason: string };

/** An incident as the service lists it, with its hours left of the 72 (null once notified). */
export interface IncidentListRow {
  id: string;
  title: string;
  severity: string;
  detected_at: Date | string;
  notified_at: Date | string | null;
  pages_sent: number;
  hours_left: number | null;
}

/** One incident as the service gives it. */
export interface IncidentDetail extends Omit<IncidentListRow, 'pages_sent'> {
  /** The DPO e-mails, newest first (the last 50). */
  pages: { result: string }[];
  description: string;
  affected_org_ids: string[];
  aware_at: Date | string | null;
  contained_at: Date | string | null;
  nature: string | null;
  data_categories: string[] | null;
  approx_subjects: number | null;
  approx_records: number | null;
  contact_point: string | null;
  likely_consequences: string | null;
  measures: string | null;
  art34_required: boolean | null;
  art34_exemption: string | null;
  authority_reference: string | null;
  /** Per organisation named: when we told it, how often, and whether it acknowledged. */
  organizations: {
    org_id: string;
    notified_at: Date | string | null;
    pages_sent: number;
    last_error: string | null;
    acknowledged_at: Date | string | null;
    acknowledged_via: string | null;
  }[];
}

/** Why a form was sent back: a title, a sentence and the fields concerned. */
export interface FormError {
  title: string;
  intro: string;
  items: string[];
}

/** The stored contents as the form shows them. */
export function valuesOfIncident(i: IncidentDetail): ContentsValues {
  const text = (v: string | number | null) => (v === null || v === undefined ? '' : String(v));
  return {
    nature: text(i.nature),
    data_categories: (i.data_categories ?? []).join(', '),
    approx_subjects: text(i.approx_subjects),
    approx_records: text(i.approx_records),
    contact_point: text(i.contact_point),
    likely_consequences: text(i.likely_consequences),
    measures: text(i.measures),
    art34_required: i.art34_required === true ? 'yes' : i.art34_required === false ? 'no' : '',
    art34_exemption: text(i.art34_exemption),
  };
}

export function severityText(m: AdminMessages, s: string): string {
  const names: Record<Severity, string> = { low: m.severityLow, medium: m.severityMedium, high: m.severityHigh, critical: m.severityCritical };
  return names[s as Severity] ?? s;
}

/** The Art. 33 clock in words: hours left of the 72, overdue by, or when it was notified (one decimal, as the DPO's e-mails). */
export function clockText(m: AdminMessages, i: Pick<IncidentListRow, 'notified_at' | 'hours_left'>): string {
  if (i.notified_at) return fill(m.notifiedOn, { date: utcTime(i.notified_at) });
  const left = i.hours_left ?? 0;
  return left >= 0 ? fill(m.hoursLeft, { n: left.toFixed(1) }) : fill(m.overdueBy, { n: (-left).toFixed(1) });
}

export function ErrorBox({ error, id }: { error?: FormError; id: string }) {
  if (!error) return null;
  return (
    <div class="notice" role="alert" id={id}>
      <p>
        <strong>{error.title}</strong> {error.intro}
      </p>
      {error.items.length > 0 && (
        <ul>
          {error.items.map((i) => (
            <li>{i}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

function TextArea({ id, name, label, value, hint, max }: { id: string; name: string; label: string; value: string; hint?: string; max: number }) {
  return (
    <>
      <label for={id}>{label}</label>
      <textarea id={id} name={name} maxLength={max} rows={3} aria-describedby={hint ? `${id}-hint` : undefined}>
        {value}
      </textarea>
      {hint && (
        <p id={`${id}-hint`} class="hint">
          {hint}
        </p>
      )}
    </>
  );
}

/** The Art. 33(3) fields, shared by the register form and the notification form. */
function ContentsFields({ m, values }: { m: AdminMessages; values: ContentsValues }) {
  return (
    <>
      <TextArea id="nature" name="nature" label={m.nature} value={values.nature} max={5000} />
      <TextArea id="data-categories" name="data_categories" label={m.dataCategories} value={values.data_categories} hint={m.listHint} max={20000} />
      <label for="approx-subjects">{m.approxSubjects}</label>
      <input id="approx-subjects" name="approx_subjects" type="text" inputMode="numeric" value={values.approx_subjects} maxLength={12} />
      <label for="approx-records">{m.approxRecords}</label>
      <input id="approx-records" name="approx_records" type="text" inputMode="numeric" value={values.approx_records} maxLength={12} />
      <TextArea id="contact-point" name="contact_point" label={m.contactPoint} value={values.contact_point} max={1000} />
      <TextArea id="likely-consequences" name="likely_consequences" label={m.likelyConsequences} value={values.likely_consequences} max={5000} />
      <TextArea id="measures" name="measures" label={m.measures} value={values.measures} max={5000} />
      <fieldset>
        <legend>{m.art34Required}</legend>
        {(
          [
            ['', 'art34-unknown', m.art34Unknown],
            ['yes', 'art34-yes', m.art34Yes],
            ['no', 'art34-no', m.art34No],
          ] as const
        ).map(([value, id, label]) => (
          <div class="check">
            <input id={id} name="art34_required" type="radio" value={value} checked={values.art34_required === value} />
            <label for={id}>{label}</label>
          </div>
        ))}
      </fieldset>
      <TextArea id="art34-exemption" name="art34_exemption" label={m.art34Exemption} value={values.art34_exemption} hint={m.art34ExemptionHint} max={2000} />
    </>
  );
}

/** Now, as a datetime-local field's value in UTC. */
function nowLocal(): string {
  return new Date().toISOString().slice(0, 16);
}

const EMPTY_CONTENTS: ContentsValues = Object.fromEntries(CONTENT_FIELDS.map((f) => [f, ''])) as ContentsValues;

/** /app/admin/incidents: the register with each incident's clock, and the form to register one. */
export function AdminIncidentsPage({
  ctx,
  m,
  rows,
  values,
  registered,
  error,
}: {
  ctx: PageContext;
  m: AdminMessages;
  rows: IncidentListRow[];
  values?: IncidentFormValues;
  registered?: boolean;
  error?: FormError;
}) {
  const v: IncidentFormValues = values ?? { title: '', severity: 'high', description: '', affected_org_ids: '', aware_at: '', detected_at: nowLocal(), contained_at: '', ...EMPTY_CONTENTS };
  return (
    <Layout ctx={ctx} title={m.incidentsTitle}>
      <p>{m.incidentsIntro}</p>
      {registered && (
        <p class="notice" role="status">
          {m.registered}
        </p>
      )}
      <h2>{m.registerList}</h2>
      {rows.length === 0 ? (
        <p>{m.noIncidents}</p>
      ) : (
        <TableWrap label={m.incidentsTable}>
          <table>
            <thead>
              <tr>
                <th scope="col">{m.colTitle}</th>
                <th scope="col">{m.colSeverity}</th>
                <th scope="col">{m.colDetected}</th>
                <th scope="col">{m.colClock}</th>
                <th scope="col">{m.colPages}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr>
                  <th scope="row">
                    <a href={`/app/admin/incidents/${r.id}`}>{r.title}</a>
                  </th>
                  <td>{severityText(m, r.severity)}</td>
                  <td>{utcTime(r.detected_at)}</td>
                  <td class={!r.notified_at && (r.hours_left ?? 0) < 0 ? 'overdue' : undefined}>{clockText(m, r)}</td>
                  <td>{r.pages_sent}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <h2 id="register">{m.registerTitle}</h2>
      <ErrorBox error={error} id="register-error" />
      <form method="post" action="/app/admin/incidents" class="stack admin-form" aria-labelledby="register" aria-describedby={error ? 'register-error' : undefined}>
        <CsrfField ctx={ctx} />
        <label for="title">{m.incidentTitle}</label>
        <input id="title" name="title" type="text" required minLength={3} maxLength={300} value={v.title} />
        <label for="severity">{m.severity}</label>
        <select id="severity" name="severity">
          {SEVERITIES.map((s) => (
            <option value={s} selected={s === v.severity}>
              {severityText(m, s)}
            </option>
          ))}
        </select>
        <TextArea id="description" name="description" label={m.description} value={v.description} max={20000} />
        <TextArea id="affected" name="affected_org_ids" label={m.affectedOrgs} value={v.affected_org_ids} hint={m.affectedOrgsHint} max={20000} />
        <label for="detected-at">{m.detectedAt}</label>
        <input id="detected-at" name="detected_at" type="datetime-local" required value={v.detected_at} aria-describedby="times-hint" />
        <label for="aware-at">{m.awareAt}</label>
        <input id="aware-at" name="aware_at" type="datetime-local" value={v.aware_at} aria-describedby="times-hint" />
        <label for="contained-at">{m.containedAt}</label>
        <input id="contained-at" name="contained_at" type="datetime-local" value={v.contained_at} aria-describedby="times-hint" />
        <p id="times-hint" class="hint">
          {m.utcHint}
        </p>
        <fieldset>
          <legend>{m.contentsLegend}</legend>
          <p class="hint">{m.contentsLaterHint}</p>
          <ContentsFields m={m} values={v} />
        </fieldset>
        <button type="submit">{m.registerButton}</button>
      </form>
    </Layout>
  );
}

/** Per organisation the incident names: when we told it, and whether it acknowledged; and the form that adds organisations. */
function OrganizationNotices({ ctx, m, incident: i, added, error }: { ctx: PageContext; m: AdminMessages; incident: IncidentDetail; added?: boolean; error?: FormError }) {
  return (
    <section>
      <h2 id="notices-title">{m.noticesTitle}</h2>
      <p>{m.noticesIntro}</p>
      {added && (
        <p class="notice" role="status">
          {m.orgsAdded}
        </p>
      )}
      {i.organizations.length === 0 ? (
        <p>{m.noticesNone}</p>
      ) : (
        <TableWrap label={m.noticesTitle}>
          <table>
            <thead>
              <tr>
                <th scope="col">{m.noticeOrg}</th>
                <th scope="col">{m.noticeTold}</th>
                <th scope="col">{m.noticePages}</th>
                <th scope="col">{m.noticeAck}</th>
                <th scope="col">{m.noticeLastError}</th>
              </tr>
            </thead>
            <tbody>
              {i.organizations.map((o) => (
                <tr>
                  <td>
                    <code>{o.org_id}</code>
                  </td>
                  <td>{o.notified_at ? utcTime(o.notified_at) : m.noticeNotYet}</td>
                  <td>{o.pages_sent}</td>
                  <td>{o.acknowledged_at ? `${utcTime(o.acknowledged_at)} (${o.acknowledged_via})` : m.noticeNotYet}</td>
                  <td>{o.last_error ?? m.none}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <form method="post" action={`/app/admin/incidents/${i.id}/organizations`} class="stack admin-form" aria-labelledby="add-orgs-title">
        <h3 id="add-orgs-title">{m.addOrgsTitle}</h3>
        <ErrorBox error={error} id="add-orgs-error" />
        <CsrfField ctx={ctx} />
        <TextArea id="add-orgs" name="org_ids" label={m.affectedOrgs} value="" hint={m.affectedOrgsHint} max={20000} />
        <button type="submit">{m.addOrgsButton}</button>
      </form>
    </section>
  );
}

/** /app/admin/incidents/:id: one incident, its clock, and the form that marks it notified with the Art. 33(3) contents. */
export function AdminIncidentPage({
  ctx,
  m,
  incident: i,
  values,
  notified,
  orgsAdded,
  orgsError,
  error,
}: {
  ctx: PageContext;
  m: AdminMessages;
  incident: IncidentDetail;
  values: NotifyFormValues;
  notified?: boolean;
  orgsAdded?: boolean;
  orgsError?: FormError;
  error?: FormError;
}) {
  return (
    <Layout ctx={ctx} title={fill(m.incidentHeading, { title: i.title })}>
      <p>
        <a href="/app/admin/incidents">{m.backToIncidents}</a>
      </p>
      {notified && (
        <p class="notice" role="status">
          {m.notified}
        </p>
      )}
      <dl>
        <dt>{m.colClock}</dt>
        <dd>{clockText(m, i)}</dd>
        <dt>{m.severity}</dt>
        <dd>{severityText(m, i.severity)}</dd>
        <dt>{m.detectedAt}</dt>
        <dd>{utcTime(i.detected_at)}</dd>
        <dt>{m.awareAtShown}</dt>
        <dd>{utcTime(i.aware_at)}</dd>
        <dt>{m.containedAtShown}</dt>
        <dd>{utcTime(i.contained_at)}</dd>
        <dt>{m.description}</dt>
        <dd>{i.description || m.none}</dd>
        <dt>{m.affectedOrgs}</dt>
        <dd>{i.affected_org_ids.length ? i.affected_org_ids.join(', ') : m.none}</dd>
        <dt>{m.colPages}</dt>
        <dd>{i.pages.filter((p) => p.result === 'sent').length}</dd>
      </dl>
      <OrganizationNotices ctx={ctx} m={m} incident={i} added={orgsAdded} error={orgsError} />
      {i.notified_at ? (
        <p class="notice">{fill(m.alreadyNotified, { date: utcTime(i.notified_at), ref: i.authority_reference ?? m.none })}</p>
      ) : (
        <>
          <h2 id="notify">{m.notifyTitle}</h2>
          <p>{m.notifyIntro}</p>
          <ErrorBox error={error} id="notify-error" />
          <form method="post" action={`/app/admin/incidents/${i.id}/notified`} class="stack admin-form" aria-labelledby="notify" aria-describedby={error ? 'notify-error' : undefined}>
            <CsrfField ctx={ctx} />
            <ContentsFields m={m} values={values} />
            <label for="authority-reference">{m.authorityReference}</label>
            <input id="authority-reference" name="authority_reference" type="text" required maxLength={300} value={values.authority_reference} aria-describedby="authority-reference-hint" />
            <p id="authority-reference-hint" class="hint">
              {m.authorityReferenceHint}
            </p>
            <TextArea id="delay-reason" name="delay_reason" label={m.delayReason} value={values.delay_reason} hint={m.delayReasonHint} max={5000} />
            <button type="submit">{m.notifyButton}</button>
          </form>
        </>
      )}
    </Layout>
  );
}
