import type { AgentRow } from '../agents/agents-service.js';
import { catalogueLanguage, disclaimerFor, SUPPORTED_LANGUAGES, type DisclaimerKey } from '../agents/disclaimer-catalogue.js';
import { AGENTS_MESSAGES, type AgentsMessages } from './agents-messages.js';
import { CsrfField, Layout, TableWrap, type PageContext } from './layout.js';
import type { Lang } from './messages.js';

/** What an agent form holds: the stored agent's values, or exactly what was typed when it comes back refused. */
export interface AgentFormValues {
  name: string;
  language: string;
  first_message: string;
  phone_number: string;
}

export type AgentField = keyof AgentFormValues;

/** Why a form came back: the text to show and, when known, the field it is about. */
export interface FormError {
  text: string;
  field?: AgentField;
}

/**
 * The verdict on a first message, as saving the agent would give it: ok, a blank (or too long)
 * message or an unusable language (the body rules), or the sentences the catalogue rule finds
 * missing or forbidden.
 */
export type Verdict =
  | { kind: 'ok' }
  | { kind: 'blank' }
  | { kind: 'language' }
  | { kind: 'disclaimer'; language: string; missing: DisclaimerKey[]; forbidden: DisclaimerKey[] };

export const DONE = ['created', 'updated', 'deleted'] as const;
export type Done = (typeof DONE)[number];

/** Ids of the form's parts that htmx addresses; there is one agent form per page. */
export const CHECK_ID = 'first-message-check';
export const SENTENCES_ID = 'required-sentences';
const LANGUAGE_ID = 'agent-language';
const MESSAGE_ID = 'agent-first-message';

export function agentsText(lang: Lang): AgentsMessages {
  return AGENTS_MESSAGES[lang];
}

/** A language's name in the page's language ("German (de)"), or the code when it has none. */
export function languageName(code: string, lang: Lang): string {
  try {
    const name = new Intl.DisplayNames([lang], { type: 'language' }).of(code);
    return name && name.toLowerCase() !== code.toLowerCase() ? `${name} (${code})` : code;
  } catch {
    return code;
  }
}

function sentenceLabel(a: AgentsMessages, key: DisclaimerKey): string {
  return key === 'ai_disclosure' ? a.aiDisclosure : key === 'recording_notice' ? a.recordingNotice : a.notRecordedNotice;
}

/** The catalogue's sentences for the chosen language, which the first message must contain. */
export function RequiredSentences({ lang, language, oob }: { lang: Lang; language: string; oob?: boolean }) {
  const a = agentsText(lang);
  // Only a language agents may use (as the service lists them) has sentences to show.
  const d = SUPPORTED_LANGUAGES.includes(language) ? disclaimerFor(language) : undefined;
  const key = language;
  return (
    <section id={SENTENCES_ID} class="sentences" aria-labelledby={`${SENTENCES_ID}-title`} hx-swap-oob={oob ? 'true' : undefined}>
      <p id={`${SENTENCES_ID}-title`} class="sentences-title">
        {a.requiredTitle.replace('{language}', languageName(language, lang))}
      </p>
      {d ? (
        <>
          <dl>
            <dt>{a.aiDisclosure}</dt>
            <dd lang={key}>{d.ai_disclosure}</dd>
            <dt>{a.recordingNotice}</dt>
            <dd lang={key}>{d.recording_notice}</dd>
          </dl>
          <p class="hint">
            {a.unrecordedNote.split('{sentence}')[0]}
            <span lang={key}>{d.not_recorded_notice}</span>
            {a.unrecordedNote.split('{sentence}')[1]}
          </p>
        </>
      ) : (
        <p>{a.requiredNone}</p>
      )}
    </section>
  );
}

/** The verdict as people read it; `data-verdict` says it to machines (ok, blank, language, disclaimer). */
export function VerdictView({ lang, verdict }: { lang: Lang; verdict: Verdict }) {
  const a = agentsText(lang);
  if (verdict.kind === 'ok') {
    return (
      <p class="verdict verdict-ok" data-verdict="ok">
        {a.checkOk}
      </p>
    );
  }
  if (verdict.kind !== 'disclaimer') {
    return (
      <p class={`verdict ${verdict.kind === 'blank' ? 'verdict-blank' : 'verdict-bad'}`} data-verdict={verdict.kind}>
        {verdict.kind === 'blank' ? a.checkBlank : a.checkLanguage}
      </p>
    );
  }
  const d = disclaimerFor(verdict.language)!;
  const key = catalogueLanguage(verdict.language);
  const list = (keys: DisclaimerKey[]) => (
    <ul>
      {keys.map((k) => (
        <li>
          {`${sentenceLabel(a, k)}: `}
          <q lang={key}>{d[k]}</q>
        </li>
      ))}
    </ul>
  );
  return (
    <div class="verdict verdict-bad" data-verdict="disclaimer">
      {verdict.missing.length > 0 && (
        <>
          <p>{a.checkMissing}</p>
          {list(verdict.missing)}
        </>
      )}
      {verdict.forbidden.length > 0 && (
        <>
          <p>{a.checkForbidden}</p>
          {list(verdict.forbidden)}
        </>
      )}
    </div>
  );
}

/** The live check's answer: the verdict for the region it replaces, and the language's sentences out of band. */
export function CheckFragment({ lang, language, verdict }: { lang: Lang; language: string; verdict: Verdict }) {
  return (
    <>
      <VerdictView lang={lang} verdict={verdict} />
      <RequiredSentences lang={lang} language={language} oob />
    </>
  );
}

function Alert({ id, text }: { id: string; text: string }) {
  return (
    <p class="notice" role="alert" id={id}>
      {text}
    </p>
  );
}

/**
 * Create or edit an agent. Without JavaScript it is a plain form the server checks on submit;
 * with htmx, typing in the first message or choosing a language asks the server's check
 * (the rule saving uses) and shows its verdict and the language's sentences.
 */
function AgentForm({
  ctx,
  action,
  values,
  verdict,
  error,
  submit,
  editing,
}: {
  ctx: PageContext;
  action: string;
  values: AgentFormValues;
  verdict: Verdict;
  error?: FormError;
  submit: string;
  editing?: boolean;
}) {
  const a = agentsText(ctx.lang);
  const errorId = 'agent-form-error';
  const invalid = (f: AgentField) => (error?.field === f ? 'true' : undefined);
  const languages = SUPPORTED_LANGUAGES.includes(values.language) ? SUPPORTED_LANGUAGES : [...SUPPORTED_LANGUAGES, values.language];
  const live = {
    'hx-post': `/app/orgs/${ctx.orgId}/agents/first-message-check`,
    'hx-target': `#${CHECK_ID}`,
    'hx-swap': 'innerHTML',
    'hx-sync': 'closest form:replace',
  };
  return (
    <form method="post" action={action} class="stack agent-form" aria-describedby={error ? errorId : undefined}>
      {error && <Alert id={errorId} text={error.text} />}
      <CsrfField ctx={ctx} />
      <label for="agent-name">{a.name}</label>
      <input id="agent-name" name="name" type="text" required maxLength={200} value={values.name} aria-invalid={invalid('name')} />
      <label for={LANGUAGE_ID}>{a.language}</label>
      <select id={LANGUAGE_ID} name="language" aria-invalid={invalid('language')} aria-controls={`${CHECK_ID} ${SENTENCES_ID}`} hx-trigger="change" {...live}>
        {languages.map((l) => (
          <option value={l} selected={l === values.language}>
            {languageName(l, ctx.lang)}
          </option>
        ))}
      </select>
      <label for="agent-phone">{a.phoneOptional}</label>
      <input
        id="agent-phone"
        name="phone_number"
        type="tel"
        maxLength={64}
        autocomplete="off"
        value={values.phone_number}
        aria-describedby="agent-phone-hint"
        aria-invalid={invalid('phone_number')}
      />
      <p id="agent-phone-hint" class="hint">
        {editing ? a.phoneHintEdit : a.phoneHint}
      </p>
      <label for={MESSAGE_ID}>{a.firstMessage}</label>
      <textarea
        id={MESSAGE_ID}
        name="first_message"
        required
        maxLength={2000}
        rows={5}
        aria-describedby={`${MESSAGE_ID}-hint ${CHECK_ID}`}
        aria-invalid={invalid('first_message')}
        hx-trigger="input changed delay:300ms, change"
        {...live}
      >
        {values.first_message}
      </textarea>
      <p id={`${MESSAGE_ID}-hint`} class="hint">
        {a.firstMessageHint}
      </p>
      <div id={CHECK_ID} class="check-result" aria-live="polite" aria-label={a.checkTitle} role="region">
        <VerdictView lang={ctx.lang} verdict={verdict} />
      </div>
      <RequiredSentences lang={ctx.lang} language={values.language} />
      <button type="submit">{submit}</button>
    </form>
  );
}

/** The organisation's agents; owners and admins also get the form to create one. */
export function AgentsPage({
  ctx,
  orgName,
  agents,
  canEdit,
  values,
  verdict,
  error,
  done,
}: {
  ctx: PageContext;
  orgName: string;
  agents: AgentRow[];
  canEdit: boolean;
  values: AgentFormValues;
  verdict: Verdict;
  error?: FormError;
  done?: Done;
}) {
  const a = agentsText(ctx.lang);
  const base = `/app/orgs/${ctx.orgId}/agents`;
  return (
    <Layout ctx={ctx} title={`${a.agentsTitle}: ${orgName}`} htmx={canEdit}>
      <p>{a.agentsIntro}</p>
      {done && !error && (
        <p class="notice" role="status">
          {a[done]}
        </p>
      )}
      {!canEdit && <p class="notice">{a.agentsReadOnly}</p>}
      {!canEdit && error && <Alert id="agents-error" text={error.text} />}
      {agents.length === 0 ? (
        <p>{a.noAgents}</p>
      ) : (
        <TableWrap label={a.agentsTitle}>
          <table class="agents">
            <thead>
              <tr>
                <th scope="col">{a.name}</th>
                <th scope="col">{a.language}</th>
                <th scope="col">{a.phoneNumber}</th>
                <th scope="col">{a.firstMessage}</th>
                {canEdit && <th scope="col">{a.actions}</th>}
              </tr>
            </thead>
            <tbody>
              {agents.map((agent) => (
                <tr>
                  <td>{agent.name}</td>
                  <td>{languageName(agent.language, ctx.lang)}</td>
                  <td>{agent.phone_number ?? a.noPhoneNumber}</td>
                  <td class="first-message" lang={catalogueLanguage(agent.language)}>
                    {agent.first_message}
                  </td>
                  {canEdit && (
                    <td>
                      <ul class="row-actions">
                        <li>
                          <a href={`${base}/${agent.id}`} aria-label={`${a.edit}: ${agent.name}`}>
                            {a.edit}
                          </a>
                        </li>
                        <li>
                          <a href={`${base}/${agent.id}/delete`} aria-label={`${a.delete}: ${agent.name}`}>
                            {a.delete}
                          </a>
                        </li>
                      </ul>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {canEdit && (
        <section aria-labelledby="create-agent">
          <h2 id="create-agent">{a.createTitle}</h2>
          <AgentForm ctx={ctx} action={base} values={values} verdict={verdict} error={error} submit={a.create} />
        </section>
      )}
    </Layout>
  );
}

/** One agent: owners and admins edit it here; members see it read-only and why. */
export function AgentPage({
  ctx,
  orgName,
  agent,
  canEdit,
  values,
  verdict,
  error,
}: {
  ctx: PageContext;
  orgName: string;
  agent: AgentRow;
  canEdit: boolean;
  values: AgentFormValues;
  verdict: Verdict;
  error?: FormError;
}) {
  const a = agentsText(ctx.lang);
  const base = `/app/orgs/${ctx.orgId}/agents`;
  return (
    <Layout ctx={ctx} title={`${a.agentTitle.replace('{name}', agent.name)}: ${orgName}`} htmx={canEdit}>
      <p>
        <a href={base}>{a.backToAgents}</a>
      </p>
      {canEdit ? (
        <>
          <AgentForm ctx={ctx} action={`${base}/${agent.id}`} values={values} verdict={verdict} error={error} submit={a.save} editing />
          <p>
            <a href={`${base}/${agent.id}/delete`}>{a.deleteConfirm}</a>
          </p>
        </>
      ) : (
        <>
          <p class="notice">{a.agentsReadOnly}</p>
          {error && <Alert id="agent-error" text={error.text} />}
          <dl>
            <dt>{a.name}</dt>
            <dd>{agent.name}</dd>
            <dt>{a.language}</dt>
            <dd>{languageName(agent.language, ctx.lang)}</dd>
            <dt>{a.phoneNumber}</dt>
            <dd>{agent.phone_number ?? a.noPhoneNumber}</dd>
            <dt>{a.firstMessage}</dt>
            <dd lang={catalogueLanguage(agent.language)}>{agent.first_message}</dd>
          </dl>
        </>
      )}
    </Layout>
  );
}

/** The confirmation step before an agent is deleted. */
export function DeleteAgentPage({ ctx, orgName, agent, error }: { ctx: PageContext; orgName: string; agent: AgentRow; error?: string }) {
  const a = agentsText(ctx.lang);
  const base = `/app/orgs/${ctx.orgId}/agents`;
  return (
    <Layout ctx={ctx} title={`${a.deleteTitle.replace('{name}', agent.name)} (${orgName})`}>
      {error && <Alert id="delete-error" text={error} />}
      <p>{a.deleteExplain}</p>
      <dl>
        <dt>{a.name}</dt>
        <dd>{agent.name}</dd>
        <dt>{a.phoneNumber}</dt>
        <dd>{agent.phone_number ?? a.noPhoneNumber}</dd>
      </dl>
      <form method="post" action={`${base}/${agent.id}/delete`} class="inline-form">
        <CsrfField ctx={ctx} />
        <button type="submit" class="danger">
          {a.deleteConfirm}
        </button>
        <a href={base}>{a.backToAgents}</a>
      </form>
    </Layout>
  );
}
