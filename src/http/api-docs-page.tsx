import { PublicLayout, renderPage } from '../dashboard/layout.js';

/** The parts of an OpenAPI 3.1 document this page reads. */
interface Doc {
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Record<string, Operation | undefined> | undefined>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, { type?: string; scheme?: string; in?: string; name?: string; description?: string }> };
}
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: unknown;
}
interface Media {
  schema?: unknown;
}
interface Operation {
  tags?: string[];
  summary?: string;
  description?: string;
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, Media> };
  responses?: Record<string, { description?: string; content?: Record<string, Media> }>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

const anchor = (method: string, path: string) => `${method}-${path}`.replace(/[^A-Za-z0-9]+/g, '-').replace(/-+$/, '');

/** A schema as indented JSON; a `$ref` reads as the component's name. */
function Schema({ schema }: { schema: unknown }) {
  if (schema && typeof schema === 'object' && '$ref' in schema && Object.keys(schema).length === 1) {
    const name = String((schema as { $ref: string }).$ref).replace('#/components/schemas/', '');
    return (
      <p>
        <a href={`#schema-${name}`}>{name}</a>
      </p>
    );
  }
  return <pre>{JSON.stringify(schema, null, 2)}</pre>;
}

function Content({ content }: { content?: Record<string, Media> }) {
  if (!content) return null;
  return (
    <>
      {Object.entries(content).map(([type, media]) => (
        <div>
          <p>
            <code>{type}</code>
          </p>
          {media.schema !== undefined && <Schema schema={media.schema} />}
        </div>
      ))}
    </>
  );
}

function OperationView({ method, path, op }: { method: string; path: string; op: Operation }) {
  const security = (op.security ?? []).flatMap((s) => Object.keys(s));
  return (
    <section class="op" id={anchor(method, path)}>
      <h3>
        <span class="method">{method}</span>
        <code>{path}</code>
      </h3>
      {op.summary && <p>{op.summary}</p>}
      {op.description && <p>{op.description}</p>}
      <p>Authentication: {security.length ? security.join(' or ') : 'none (public)'}</p>
      {op.parameters && op.parameters.length > 0 && (
        <>
          <h4>Parameters</h4>
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>In</th>
                <th>Required</th>
                <th>Schema</th>
              </tr>
            </thead>
            <tbody>
              {op.parameters.map((p) => (
                <tr>
                  <td>
                    <code>{p.name}</code>
                  </td>
                  <td>{p.in}</td>
                  <td>{p.required ? 'yes' : 'no'}</td>
                  <td>
                    <code>{JSON.stringify(p.schema)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {op.requestBody && (
        <>
          <h4>Request body</h4>
          <Content content={op.requestBody.content} />
        </>
      )}
      <h4>Responses</h4>
      <dl>
        {Object.entries(op.responses ?? {}).map(([status, r]) => (
          <>
            <dt>
              <strong>{status}</strong> {r.description}
            </dt>
            <dd>
              <Content content={r.content} />
            </dd>
          </>
        ))}
      </dl>
    </section>
  );
}

/** GET /docs/api: every operation of the document, grouped by tag, rendered on the server (no script). */
export function apiDocsPage(doc: Doc, tagOrder: string[]): string {
  const byTag = new Map<string, { method: string; path: string; op: Operation }[]>(tagOrder.map((t) => [t, []]));
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item?.[method];
      if (!op) continue;
      const tag = op.tags?.[0] ?? 'Other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push({ method, path, op });
    }
  }
  const tags = [...byTag].filter(([, ops]) => ops.length > 0);
  return renderPage(
    <PublicLayout lang="en" title={`${doc.info.title}: API`}>
      <div class="api-docs">
        <h1>{doc.info.title}: HTTP API</h1>
        <p>
          Version {doc.info.version}. {doc.info.description} The machine-readable OpenAPI 3.1 document is at <a href="/openapi.json">/openapi.json</a>.
        </p>
        <nav aria-label="Sections">
          <ul>
            {tags.map(([tag, ops]) => (
              <li>
                <a href={`#tag-${anchor('tag', tag)}`}>{tag}</a> ({ops.length})
              </li>
            ))}
            <li>
              <a href="#security">Authentication</a>
            </li>
            <li>
              <a href="#schemas">Schemas</a>
            </li>
          </ul>
        </nav>
        {tags.map(([tag, ops]) => (
          <section id={`tag-${anchor('tag', tag)}`}>
            <h2>{tag}</h2>
            <ul>
              {ops.map(({ method, path, op }) => (
                <li>
                  <a href={`#${anchor(method, path)}`}>
                    {method.toUpperCase()} {path}
                  </a>{' '}
                  {op.summary}
                </li>
              ))}
            </ul>
            {ops.map(({ method, path, op }) => (
              <OperationView method={method} path={path} op={op} />
            ))}
          </section>
        ))}
        <section id="security">
          <h2>Authentication</h2>
          <dl>
            {Object.entries(doc.components?.securitySchemes ?? {}).map(([name, s]) => (
              <>
                <dt>
                  <code>{name}</code>: {s.type === 'http' ? `HTTP ${s.scheme}` : `${s.in} ${s.name}`}
                </dt>
                <dd>{s.description}</dd>
              </>
            ))}
          </dl>
        </section>
        <section id="schemas">
          <h2>Schemas</h2>
          {Object.entries(doc.components?.schemas ?? {}).map(([name, schema]) => (
            <section id={`schema-${name}`}>
              <h3>{name}</h3>
              <pre>{JSON.stringify(schema, null, 2)}</pre>
            </section>
          ))}
        </section>
      </div>
    </PublicLayout>,
  );
}
