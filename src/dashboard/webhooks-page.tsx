import { WEBHOOK_EVENTS, type WebhookEndpoint } from '../webhooks/webhooks-service.js';
import { CsrfField, Layout, TableWrap, type PageContext } from './layout.js';
import { WEBHOOKS_MESSAGES, type WebhooksMessages } from './webhooks-messages.js';

/** A delivery as the webhooks service lists it (the payload is not shown). */
export interface DeliveryRow {
  id: string;
  event_type: string;
  status: string;
  attempts: number;
  last_status: number | null;
  created_at: Date | string;
}

/** An endpoint with its most recent deliveries. */
export interface EndpointWithDeliveries extends WebhookEndpoint {
  deliveries: DeliveryRow[];
}

/** The hidden field carrying the registration form's one-time id. */
export const FORM_ID_FIELD = 'form_id';

/** What was typed into the form, kept when it comes back with an error. */
export interface WebhookFormValues {
  url: string;
  events: string[];
  description: string;
}

function when(d: Date | string): string {
  return new Date(d).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

function statusText(m: WebhooksMessages, status: string): string {
  return status === 'delivered' ? m.statusDelivered : status === 'failed' ? m.statusFailed : status === 'pending' ? m.statusPending : status;
}

function eventText(m: WebhooksMessages, event: string): string {
  const words = m.eventNames[event];
  return words ? `${words} (${event})` : event;
}

function Deliveries({ m, endpoint }: { m: WebhooksMessages; endpoint: EndpointWithDeliveries }) {
  if (endpoint.deliveries.length === 0) return <p>{m.noDeliveries}</p>;
  return (
    <TableWrap label={m.deliveriesOf.replace('{url}', endpoint.url)}>
      <table>
        <thead>
          <tr>
            <th scope="col">{m.created}</th>
            <th scope="col">{m.event}</th>
            <th scope="col">{m.deliveryStatus}</th>
            <th scope="col">{m.attempts}</th>
            <th scope="col">{m.lastAnswer}</th>
          </tr>
        </thead>
        <tbody>
          {endpoint.deliveries.map((d) => (
            <tr>
              <td>{when(d.created_at)}</td>
              <td>{eventText(m, d.event_type)}</td>
              <td>{statusText(m, d.status)}</td>
              <td>{d.attempts}</td>
              <td>{d.last_status === null ? (d.attempts ? m.connectionFailed : m.noAnswer) : m.httpStatus.replace('{code}', String(d.last_status))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

/**
 * The organisation's webhook endpoints. Owners and admins register one (its
 * signing secret is shown once, on the answer to the registration, and never
 * again), see each with its recent deliveries, and delete it; members may do
 * none of that (the API refuses them), so they get the reason instead.
 */
export function WebhooksPage({
  ctx,
  orgName,
  canManage,
  endpoints,
  values,
  error,
  created,
  alreadyRegistered,
  formId,
  deleted,
}: {
  ctx: PageContext;
  orgName: string;
  canManage: boolean;
  endpoints: EndpointWithDeliveries[];
  values?: WebhookFormValues;
  error?: string;
  created?: { url: string; secret: string };
  /** The form was submitted before: the endpoint it registered (null when deleted since). */
  alreadyRegistered?: { endpoint: { id: string; url: string } | null };
  /** The registration form's one-time id (a submission of it registers at most once). */
  formId: string;
  deleted?: boolean;
}) {
  const m = WEBHOOKS_MESSAGES[ctx.lang];
  const base = `/app/orgs/${ctx.orgId}/webhooks`;
  const chosen = new Set(values?.events ?? []);
  return (
    <Layout ctx={ctx} title={`${m.webhooksTitle}: ${orgName}`}>
      <p>{m.webhooksIntro}</p>
      {!canManage ? (
        <p class="notice">{m.memberCannotSeeWebhooks}</p>
      ) : (
        <>
          {created && (
            <section class="notice secret-once" aria-labelledby="created-title" role="status">
              <h2 id="created-title">{m.createdTitle}</h2>
              <p>{created.url}</p>
              <p>{m.secretOnce}</p>
              <dl>
                <dt>{m.secret}</dt>
                <dd>
                  <code id="webhook-secret">{created.secret}</code>
                </dd>
              </dl>
            </section>
          )}
          {alreadyRegistered && (
            <section class="notice" aria-labelledby="already-title" role="status">
              <h2 id="already-title">{m.alreadyTitle}</h2>
              {alreadyRegistered.endpoint ? (
                <>
                  <p>{m.alreadyRegistered.replace('{url}', alreadyRegistered.endpoint.url)}</p>
                  <p>
                    <a href={`${base}#endpoint-${alreadyRegistered.endpoint.id}`}>{m.seeEndpoint}</a>
                  </p>
                </>
              ) : (
                <>
                  <p>{m.alreadyRegisteredDeleted}</p>
                  <p>
                    <a href={base}>{m.seeEndpoints}</a>
                  </p>
                </>
              )}
            </section>
          )}
          {deleted && (
            <p class="notice" role="status">
              {m.deleted}
            </p>
          )}
          <h2>{m.registerTitle}</h2>
          {error && (
            <p class="notice" role="alert" id="webhook-error">
              {error}
            </p>
          )}
          <form method="post" action={base} class="stack" aria-describedby={error ? 'webhook-error' : undefined}>
            <CsrfField ctx={ctx} />
            <input type="hidden" name={FORM_ID_FIELD} value={formId} />
            <label for="webhook-url">{m.url}</label>
            <input id="webhook-url" name="url" type="text" inputMode="url" required maxLength={2000} value={values?.url ?? ''} aria-describedby="webhook-url-hint" />
            <p id="webhook-url-hint" class="hint">
              {m.urlHint}
            </p>
            <fieldset>
              <legend>{m.events}</legend>
              {WEBHOOK_EVENTS.map((e) => (
                <div class="check">
                  <input id={`event-${e}`} name="events" type="checkbox" value={e} checked={chosen.has(e)} />
                  <label for={`event-${e}`}>{eventText(m, e)}</label>
                </div>
              ))}
            </fieldset>
            <label for="webhook-description">{m.description}</label>
            <input id="webhook-description" name="description" type="text" maxLength={200} value={values?.description ?? ''} />
            <button type="submit">{m.register}</button>
          </form>
          <h2>{m.endpointsTitle}</h2>
          {endpoints.length === 0 ? (
            <p>{m.noEndpoints}</p>
          ) : (
            endpoints.map((e) => (
              <section class="webhook-endpoint" aria-labelledby={`endpoint-${e.id}`}>
                <h3 id={`endpoint-${e.id}`} class="webhook-url">
                  {e.url}
                </h3>
                <dl>
                  <dt>{m.events}</dt>
                  <dd>{e.events.map((ev) => eventText(m, ev)).join(', ')}</dd>
                  {e.description && (
                    <>
                      <dt>{m.description}</dt>
                      <dd>{e.description}</dd>
                    </>
                  )}
                  <dt>{m.registered}</dt>
                  <dd>{when(e.created_at)}</dd>
                </dl>
                <h4>{m.deliveries}</h4>
                <Deliveries m={m} endpoint={e} />
                <form method="post" action={`${base}/${e.id}/delete`} class="inline-form">
                  <CsrfField ctx={ctx} />
                  <button type="submit" class="danger" aria-label={m.deleteEndpointOf.replace('{url}', e.url)}>
                    {m.deleteEndpoint}
                  </button>
                </form>
              </section>
            ))
          )}
        </>
      )}
    </Layout>
  );
}
