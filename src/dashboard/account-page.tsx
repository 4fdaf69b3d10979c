import type { OrgRole } from '../orgs/orgs-repo.js';
import { ACCOUNT_MESSAGES } from './account-messages.js';
import { CsrfField, Layout, type PageContext } from './layout.js';

function roleName(role: OrgRole, t: PageContext['t']): string {
  return role === 'owner' ? t.roleOwner : role === 'admin' ? t.roleAdmin : t.roleMember;
}

/**
 * Deleting the organisation (owners): what goes, here and at Twilio and
 * ElevenLabs, and what stays; the owner confirms by typing the organisation's
 * name. Admins and members see what it would do and why they cannot.
 */
export function DeleteOrgPage({
  ctx,
  orgName,
  role,
  typed,
  error,
}: {
  ctx: PageContext;
  orgName: string;
  role: OrgRole;
  /** what was typed, kept when the name did not match */
  typed?: string;
  error?: string;
}) {
  const { t } = ctx;
  const m = ACCOUNT_MESSAGES[ctx.lang];
  const isOwner = role === 'owner';
  return (
    <Layout ctx={ctx} title={`${m.deleteTitle}: ${orgName}`}>
      <p>{m.deleteIntro.replace('{org}', orgName)}</p>
      <h2>{m.deleteHereHeading}</h2>
      <ul>
        {m.deleteHere.map((item) => (
          <li>{item}</li>
        ))}
      </ul>
      <h2>{m.deleteProvidersHeading}</h2>
      <ul>
        {m.deleteProviders.map((item) => (
          <li>{item}</li>
        ))}
      </ul>
      <p>{m.deleteProvidersNote}</p>
      <h2>{m.deleteKeptHeading}</h2>
      <p>{m.deleteKept}</p>
      {!isOwner ? (
        <p class="notice">{m.ownerOnly.replace('{role}', roleName(role, t))}</p>
      ) : (
        <>
          {error && (
            <p class="notice" role="alert" id="delete-error">
              {error}
            </p>
          )}
          <form method="post" action={`/app/orgs/${ctx.orgId}/delete`} class="stack" aria-describedby={error ? 'delete-error' : undefined}>
            <CsrfField ctx={ctx} />
            <label for="confirm-name">{m.confirmName.replace('{org}', orgName)}</label>
            <input
              id="confirm-name"
              name="confirm_name"
              type="text"
              required
              maxLength={200}
              autocomplete="off"
              value={typed ?? ''}
              aria-describedby="confirm-name-hint"
              aria-invalid={error ? 'true' : undefined}
            />
            <p id="confirm-name-hint" class="hint">
              {m.confirmNameHint}
            </p>
            <button type="submit" class="danger">
              {m.deleteButton}
            </button>
          </form>
        </>
      )}
    </Layout>
  );
}

/** On /app after a deletion. */
export function OrgDeletedNotice({ ctx }: { ctx: PageContext }) {
  return (
    <p class="notice" role="status">
      {ACCOUNT_MESSAGES[ctx.lang].orgDeleted}
    </p>
  );
}

/** At the bottom of the privacy page, for owners: where the organisation is deleted. */
export function DeleteOrgSection({ ctx }: { ctx: PageContext }) {
  const m = ACCOUNT_MESSAGES[ctx.lang];
  return (
    <section aria-labelledby="delete-org">
      <h2 id="delete-org">{m.deleteSectionTitle}</h2>
      <p>{m.deleteSectionText}</p>
      <p>
        <a href={`/app/orgs/${ctx.orgId}/delete`}>{m.deleteSectionLink}</a>
      </p>
    </section>
  );
}
