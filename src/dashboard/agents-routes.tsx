import { Router, type Request, type Response } from 'express';
import type { VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { z } from 'zod';
import { agentFields, createAgentBody, updateAgentBody } from '../agents/agents-routes.js';
import { agentFirstMessageRefusal, type AgentRow, type AgentsService } from '../agents/agents-service.js';
import { authOf } from '../auth/auth-middleware.js';
import { AppError, ForbiddenError, NotFoundError, UpstreamError } from '../lib/errors.js';
import { ADMIN_ROLES } from '../orgs/org-access.js';
import type { OrgRole } from '../orgs/orgs-repo.js';
import type { OrgsService } from '../orgs/orgs-service.js';
import {
  AgentPage,
  AgentsPage,
  agentsText,
  CheckFragment,
  DeleteAgentPage,
  DONE,
  type AgentField,
  type AgentFormValues,
  type FormError,
  type Verdict,
} from './agents-page.js';
import type { PageContext } from './layout.js';
import { languageOf, type Lang } from './messages.js';
import { readCookies } from './session.js';

/** What the agents pages borrow from the dashboard: its services and how it renders a signed-in page. */
export interface AgentsRoutesDeps {
  orgs: OrgsService;
  agents: AgentsService;
  signedInContext(req: Request, res: Response, orgId?: string): Promise<PageContext>;
  send(res: Response, page: VNode, status?: number): void;
}

const uuid = z.string().uuid();
const FIELDS: readonly AgentField[] = ['name', 'language', 'first_message', 'phone_number'];

/** The form's fields exactly as typed (a missing or repeated field counts as empty). */
function typed(body: unknown): AgentFormValues {
  const b = (body ?? {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return { name: text(b.name), language: text(b.language), first_message: text(b.first_message), phone_number: text(b.phone_number) };
}

function fromAgent(agent: AgentRow): AgentFormValues {
  return { name: agent.name, language: agent.language, first_message: agent.first_message, phone_number: agent.phone_number ?? '' };
}

/** A new agent's form: in the language the person reads the dashboard in. */
function empty(lang: Lang): AgentFormValues {
  return { name: '', language: lang, first_message: '', phone_number: '' };
}

/**
 * The verdict saving would give on this language and first message: the API's body rules for
 * the two fields, then the rule create and update enforce (agentFirstMessageRefusal). One rule,
 * so the live check and saving cannot disagree.
 */
export function verdictOf(language: string, firstMessage: string): Verdict {
  const lang = agentFields.language.safeParse(language);
  if (!lang.success) return { kind: 'language' };
  if (!agentFields.first_message.safeParse(firstMessage).success) return { kind: 'blank' };
  const refusal = agentFirstMessageRefusal(lang.data, firstMessage);
  if (!refusal) return { kind: 'ok' };
  if (refusal.code === 'language_unsupported') return { kind: 'language' };
  return { kind: 'disclaimer', language: lang.data, missing: refusal.details.missing, forbidden: refusal.details.forbidden };
}

/** The first field the body rules refused, and why, in the page's language. */
function invalidInput(error: z.ZodError, lang: Lang): FormError {
  const a = agentsText(lang);
  const field = FIELDS.find((f) => error.issues.some((i) => i.path[0] === f)) ?? 'name';
  const text = field === 'name' ? a.invalidName : field === 'language' ? a.invalidLanguage : field === 'phone_number' ? a.invalidPhone : a.checkBlank;
  return { text: `${a.notSaved} ${text}`, field };
}

/** The field a service refusal is about, from its code (or none). */
function fieldOf(err: AppError): AgentField | undefined {
  if (err.code === 'disclaimer_missing') return 'first_message';
  if (err.code === 'language_unsupported') return 'language';
  if (err.code === 'invalid_phone' || err.status === 409) return 'phone_number';
  return undefined;
}

/**
 * A refusal to show on the form, with its status: the person's own input (4xx but 404) or the
 * agent platform being unreachable (502). Anything else (a missing agent or organisation, a
 * failure of ours) goes to the dashboard's error page.
 */
function refusalOf(err: unknown, lang: Lang, prefix: 'notSaved' | 'notDeleted'): { error: FormError; status: number } | undefined {
  if (!(err instanceof AppError)) return undefined;
  if (!(err instanceof UpstreamError) && (err.status >= 500 || err.status === 404)) return undefined;
  const a = agentsText(lang);
  const field = fieldOf(err);
  const reason = err.code === 'disclaimer_missing' ? a.disclaimerRefused : err.code === 'language_unsupported' ? a.checkLanguage : err.message;
  return { error: { text: `${a[prefix]} ${reason}`, field }, status: err.status };
}

/**
 * /app/orgs/:orgId/agents: the organisation's agents. Creating, changing and deleting go through
 * the agents service the API uses, with the API's body rules, so the same role check, RLS,
 * first-message rule, platform calls and audit rows apply. The create and edit forms check the
 * first message as it is typed (htmx, POST first-message-check) with that same rule.
 */
export function agentsRoutes(deps: AgentsRoutesDeps): Router {
  const router = Router({ mergeParams: true });

  function orgIdOf(req: Request): string {
    const parsed = uuid.safeParse(req.params.orgId);
    if (!parsed.success) throw new NotFoundError('Organisation not found.');
    return parsed.data;
  }
  function agentIdOf(req: Request): string {
    const parsed = uuid.safeParse(req.params.agentId);
    if (!parsed.success) throw new NotFoundError('Agent not found.');
    return parsed.data;
  }

  async function roleIn(req: Request, orgId: string) {
    const org = await deps.orgs.get(authOf(req), orgId);
    return { org, canEdit: ADMIN_ROLES.includes(org.role as OrgRole) };
  }

  async function renderList(req: Request, res: Response, orgId: string, opts: { values?: AgentFormValues; error?: FormError; status?: number } = {}) {
    const auth = authOf(req);
    const { org, canEdit } = await roleIn(req, orgId);
    const agents = await deps.agents.list(auth, orgId);
    const ctx = await deps.signedInContext(req, res, orgId);
    const values = opts.values ?? empty(ctx.lang);
    const doneFlag = DONE.find((d) => d === req.query.done);
    deps.send(
      res,
      <AgentsPage
        ctx={ctx}
        orgName={org.name}
        agents={agents}
        canEdit={canEdit}
        values={values}
        verdict={verdictOf(values.language, values.first_message)}
        error={opts.error}
        done={opts.error ? undefined : doneFlag}
      />,
      opts.status,
    );
  }

  async function renderAgent(req: Request, res: Response, orgId: string, agentId: string, opts: { values?: AgentFormValues; error?: FormError; status?: number } = {}) {
    const auth = authOf(req);
    const { org, canEdit } = await roleIn(req, orgId);
    const agent = await deps.agents.get(auth, orgId, agentId);
    const ctx = await deps.signedInContext(req, res, orgId);
    const values = opts.values ?? fromAgent(agent);
    deps.send(
      res,
      <AgentPage ctx={ctx} orgName={org.name} agent={agent} canEdit={canEdit} values={values} verdict={verdictOf(values.language, values.first_message)} error={opts.error} />,
      opts.status,
    );
  }

  router.get('/', async (req, res) => {
    await renderList(req, res, orgIdOf(req));
  });

  router.post('/', async (req, res) => {
    const orgId = orgIdOf(req);
    const lang = languageOf(req, readCookies(req));
    const values = typed(req.body);
    const phone = values.phone_number.trim();
    const body = createAgentBody.safeParse({
      name: values.name,
      language: values.language,
      first_message: values.first_message,
      ...(phone ? { phone_number: phone } : {}),
    });
    if (!body.success) {
      await renderList(req, res, orgId, { values, error: invalidInput(body.error, lang), status: 400 });
      return;
    }
    try {
      await deps.agents.create(authOf(req), orgId, body.data);
    } catch (err) {
      const refusal = refusalOf(err, lang, 'notSaved');
      if (!refusal) throw err;
      await renderList(req, res, orgId, { values, ...refusal });
      return;
    }
    res.redirect(303, `/app/orgs/${orgId}/agents?done=created`);
  });

  // The live check: a fragment with the verdict and the chosen language's sentences. A POST (with
  // the form's CSRF token) so the message travels in the body, not in URLs and logs.
  router.post('/first-message-check', async (req, res) => {
    const orgId = orgIdOf(req);
    await deps.orgs.get(authOf(req), orgId);
    const lang = languageOf(req, readCookies(req));
    const { language, first_message } = typed(req.body);
    const shown = agentFields.language.safeParse(language);
    const fragment = <CheckFragment lang={lang} language={shown.success ? shown.data : language} verdict={verdictOf(language, first_message)} />;
    res.status(200).type('html').set('Cache-Control', 'no-store').set('Content-Language', lang).send(renderToString(fragment));
  });

  router.get('/:agentId', async (req, res) => {
    await renderAgent(req, res, orgIdOf(req), agentIdOf(req));
  });

  router.post('/:agentId', async (req, res) => {
    const orgId = orgIdOf(req);
    const agentId = agentIdOf(req);
    const lang = languageOf(req, readCookies(req));
    const values = typed(req.body);
    const phone = values.phone_number.trim();
    // The form always sends every field; an empty number takes it away from the agent.
    const body = updateAgentBody.safeParse({ name: values.name, language: values.language, first_message: values.first_message, phone_number: phone || null });
    if (!body.success) {
      await renderAgent(req, res, orgId, agentId, { values, error: invalidInput(body.error, lang), status: 400 });
      return;
    }
    try {
      await deps.agents.update(authOf(req), orgId, agentId, body.data);
    } catch (err) {
      const refusal = refusalOf(err, lang, 'notSaved');
      if (!refusal) throw err;
      await renderAgent(req, res, orgId, agentId, { values, ...refusal });
      return;
    }
    res.redirect(303, `/app/orgs/${orgId}/agents?done=updated`);
  });

  async function renderDelete(req: Request, res: Response, orgId: string, agentId: string, opts: { error?: string; status?: number } = {}) {
    const { org, canEdit } = await roleIn(req, orgId);
    const agent = await deps.agents.get(authOf(req), orgId, agentId);
    const ctx = await deps.signedInContext(req, res, orgId);
    if (!canEdit) throw new ForbiddenError(agentsText(ctx.lang).agentsReadOnly);
    deps.send(res, <DeleteAgentPage ctx={ctx} orgName={org.name} agent={agent} error={opts.error} />, opts.status);
  }

  router.get('/:agentId/delete', async (req, res) => {
    await renderDelete(req, res, orgIdOf(req), agentIdOf(req));
  });

  router.post('/:agentId/delete', async (req, res) => {
    const orgId = orgIdOf(req);
    const agentId = agentIdOf(req);
    const lang = languageOf(req, readCookies(req));
    try {
      await deps.agents.remove(authOf(req), orgId, agentId);
    } catch (err) {
      const refusal = refusalOf(err, lang, 'notDeleted');
      if (!refusal) throw err;
      // A member is refused by the service; the list says why.
      if (err instanceof ForbiddenError) await renderList(req, res, orgId, { error: refusal.error, status: refusal.status });
      else await renderDelete(req, res, orgId, agentId, { error: refusal.error.text, status: refusal.status });
      return;
    }
    res.redirect(303, `/app/orgs/${orgId}/agents?done=deleted`);
  });

  return router;
}
