import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildOpenApiDocument } from '../src/http/openapi.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where each test file records the operations of /openapi.json its requests exercised. */
    openapiExercisedDir: string;
  }
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Collects what the test files exercised and prints, at the end, how much of the API description the run checked. */
export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(path.join(tmpdir(), 'openapi-exercised-'));
  project.provide('openapiExercisedDir', dir);
  return () => {
    const seen = new Map<string, Set<string>>();
    for (const file of readdirSync(dir)) {
      for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n')) {
        const m = /^(\S+ \S+) (\S+)$/.exec(line);
        if (!m) continue;
        const statuses = seen.get(m[1]!) ?? new Set<string>();
        for (const s of m[2]!.split(',')) statuses.add(s);
        seen.set(m[1]!, statuses);
      }
    }
    rmSync(dir, { recursive: true, force: true });
    if (seen.size === 0) return;
    const doc = buildOpenApiDocument();
    const all = Object.entries(doc.paths ?? {}).flatMap(([p, item]) => METHODS.filter((m) => (item as Record<string, unknown>)[m]).map((m) => `${m.toUpperCase()} ${p}`));
    const missed = all.filter((op) => !seen.has(op));
    const lines = [...seen].sort(([a], [b]) => a.localeCompare(b)).map(([op, s]) => `  ${op} ${[...s].sort().join(',')}`);
    console.log(
      `\nOpenAPI: the answers of ${seen.size} of ${all.length} operations were checked against /openapi.json:\n${lines.join('\n')}\n` +
        (missed.length ? `Not exercised by these tests (${missed.length}):\n${missed.map((op) => `  ${op}`).join('\n')}\n` : ''),
    );
  };
}
