import type { ExportRecord } from '../exports/export-service.js';
import { EXPORTS_MESSAGES, type ExportsMessages } from './exports-messages.js';
import { CsrfField, Layout, TableWrap, type PageContext } from './layout.js';

/** Whom an export is of, as the form offers it. */
export const EXPORT_KINDS = ['organization', 'phone', 'email'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

/** What was typed into the form, kept when it is sent back with an error. */
export interface ExportFormValues {
  kind: ExportKind;
  value: string;
}

/** A time as people read it, in UTC, with the machine-readable one beside it. */
function When({ at }: { at: Date | string }) {
  const iso = new Date(at).toISOString();
  return <time dateTime={iso}>{`${iso.replace('T', ' ').slice(0, 19)} UTC`}</time>;
}

function subjectName(type: ExportRecord['subject_type'], m: ExportsMessages): string {
  return type === 'phone' ? m.subjectPhonePerson : type === 'email' ? m.subjectEmailPerson : m.subjectOrganisation;
}

function contents(counts: Record<string, number>, m: ExportsMessages): string {
  const found = Object.entries(counts ?? {}).filter(([, n]) => n > 0);
  if (found.length === 0) return m.nothingFound;
  return found.map(([k, n]) => `${m.countLabels[k] ?? k}: ${n}`).join(', ');
}

/**
 * The organisation's exports. Owners and admins make one (of a person or of the
 * whole organisation), which the browser downloads as a JSON file at once, and
 * see the records of the exports made; members may do neither (the API refuses
 * them), so they get the reason instead.
 */
export function ExportsPage({
  ctx,
  orgName,
  records,
  canExport,
  myUserId,
  values,
  error,
}: {
  ctx: PageContext;
  orgName: string;
  records: ExportRecord[];
  canExport: boolean;
  myUserId: string;
  values?: ExportFormValues;
  error?: string;
}) {
  const m = EXPORTS_MESSAGES[ctx.lang];
  const kind = values?.kind ?? 'organization';
  const kindLabels: Record<ExportKind, string> = { organization: m.ofOrganisation, phone: m.ofPhone, email: m.ofEmail };
  return (
    <Layout ctx={ctx} title={`${m.exportsTitle}: ${orgName}`}>
      <p>{m.exportsIntro}</p>
      {!canExport ? (
        <p class="notice">{m.memberCannotExport}</p>
      ) : (
        <>
          {error && (
            <p class="notice" role="alert" id="export-error">
              {error}
            </p>
          )}
          <form method="post" action={`/app/orgs/${ctx.orgId}/exports`} class="stack" aria-describedby={error ? 'export-error' : undefined}>
            <CsrfField ctx={ctx} />
            <fieldset>
              <legend>{m.exportOf}</legend>
              {EXPORT_KINDS.map((k) => (
                <div class="check">
                  <input id={`export-kind-${k}`} name="kind" type="radio" value={k} checked={kind === k} />
                  <label for={`export-kind-${k}`}>{kindLabels[k]}</label>
                </div>
              ))}
            </fieldset>
            <label for="export-value">{m.exportValue}</label>
            <input id="export-value" name="value" type="text" maxLength={254} value={values?.value ?? ''} aria-describedby="export-value-hint" />
            <p id="export-value-hint" class="hint">
              {m.exportValueHint}
            </p>
            <button type="submit">{m.createExport}</button>
          </form>
          <h2>{m.exportsMade}</h2>
          {records.length === 0 ? (
            <p>{m.noExports}</p>
          ) : (
            <TableWrap label={m.exportsMade}>
              <table class="exports">
                <thead>
                  <tr>
                    <th scope="col">{m.exportMade}</th>
                    <th scope="col">{m.exportSubject}</th>
                    <th scope="col">{m.exportBy}</th>
                    <th scope="col">{m.exportContents}</th>
                  </tr>
                </thead>
                <tbody>
                  {records.map((r) => (
                    <tr>
                      <td>
                        <When at={r.created_at} />
                      </td>
                      <td>{subjectName(r.subject_type, m)}</td>
                      <td>{r.requested_by === null ? '–' : r.requested_by === myUserId ? m.byYou : m.byUser.replace('{id}', r.requested_by.slice(0, 8))}</td>
                      <td>{contents(r.counts, m)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
        </>
      )}
    </Layout>
  );
}
