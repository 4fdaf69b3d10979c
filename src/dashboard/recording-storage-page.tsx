import type { RecordingStorageView } from '../recording-storage/recording-storage-service.js';
import { CsrfField, Layout, type PageContext } from './layout.js';
import { RECORDING_STORAGE_MESSAGES } from './recording-storage-messages.js';

/** What was typed into the form (never the secret), kept when it comes back with an error. */
export interface StorageFormValues {
  endpoint: string;
  region: string;
  bucket: string;
  prefix: string;
  access_key_id: string;
  force_path_style: boolean;
}

function when(d: Date | string): string {
  return new Date(d).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

/**
 * Where the organisation's recordings are delivered. Owners and admins set,
 * change and remove it (the form goes through the API's service: the same
 * probe, rules and audit); members see the settings, read-only. The secret is
 * never shown, only whether one is stored.
 */
export function RecordingStoragePage({
  ctx,
  orgName,
  canManage,
  featureOn,
  storage,
  values,
  error,
  notice,
}: {
  ctx: PageContext;
  orgName: string;
  canManage: boolean;
  featureOn: boolean;
  storage: RecordingStorageView | null;
  values?: StorageFormValues;
  error?: string;
  notice?: string;
}) {
  const m = RECORDING_STORAGE_MESSAGES[ctx.lang];
  const base = `/app/orgs/${ctx.orgId}/recording-storage`;
  const v: StorageFormValues = values ?? {
    endpoint: storage?.endpoint ?? '',
    region: storage?.region ?? '',
    bucket: storage?.bucket ?? '',
    prefix: storage?.prefix ?? '',
    access_key_id: storage?.access_key_id ?? '',
    force_path_style: storage?.force_path_style ?? false,
  };
  const disabled = !canManage || !featureOn;
  return (
    <Layout ctx={ctx} title={`${m.title}: ${orgName}`}>
      <p>{m.intro}</p>
      {!featureOn && <p class="notice">{m.off}</p>}
      {featureOn && !canManage && <p class="notice">{m.memberReadOnly}</p>}
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {error && (
        <p class="notice" role="alert" id="storage-error">
          {error}
        </p>
      )}
      {!storage && <p id="storage-not-configured">{m.notConfigured}</p>}
      {storage && (
        <p>
          {m.updatedAt}: {when(storage.updated_at)}
        </p>
      )}
      <form method="post" action={base} class="stack" aria-describedby={error ? 'storage-error' : undefined}>
        <CsrfField ctx={ctx} />
        <fieldset disabled={disabled}>
          <label for="storage-endpoint">{m.endpoint}</label>
          <input id="storage-endpoint" name="endpoint" type="text" inputMode="url" required maxLength={2000} value={v.endpoint} aria-describedby="storage-endpoint-hint" />
          <p id="storage-endpoint-hint" class="hint">
            {m.endpointHint}
          </p>
          <label for="storage-region">{m.region}</label>
          <input id="storage-region" name="region" type="text" required maxLength={64} value={v.region} />
          <label for="storage-bucket">{m.bucket}</label>
          <input id="storage-bucket" name="bucket" type="text" required maxLength={63} value={v.bucket} />
          <label for="storage-prefix">{m.prefix}</label>
          <input id="storage-prefix" name="prefix" type="text" maxLength={512} value={v.prefix} />
          <label for="storage-access-key-id">{m.accessKeyId}</label>
          <input id="storage-access-key-id" name="access_key_id" type="text" required maxLength={256} autoComplete="off" value={v.access_key_id} />
          <label for="storage-secret">{m.secret}</label>
          <input id="storage-secret" name="secret_access_key" type="password" maxLength={512} autoComplete="new-password" value="" aria-describedby="storage-secret-hint" />
          <p id="storage-secret-hint" class="hint">
            {storage ? m.secretSet : m.secretNotSet}
          </p>
          <div class="check">
            <input id="storage-path-style" name="force_path_style" type="checkbox" value="true" checked={v.force_path_style} />
            <label for="storage-path-style">{m.forcePathStyle}</label>
          </div>
          <button type="submit">{m.save}</button>
        </fieldset>
      </form>
      {storage && canManage && (
        <form method="post" action={`${base}/delete`} class="inline-form">
          <CsrfField ctx={ctx} />
          <button type="submit" class="danger">
            {m.remove}
          </button>
        </form>
      )}
    </Layout>
  );
}
