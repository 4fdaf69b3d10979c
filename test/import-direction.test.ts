import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Imports in src/ flow one way, so that a feature can be read (and changed)
 * without the wiring above it:
 *
 *   top        src/http/, src/jobs/, src/cli/, src/container.ts, src/server.ts
 *   features   every other folder (calls, erasure, retention, ...)
 *   foundation src/db/, src/providers/
 *   lib        src/lib/, and src/config/ beside it (the configuration type,
 *              which imports nothing of ours; the mailer reads its settings)
 *
 * A module imports from its own layer or the ones below. Features import each
 * other (a call's deletion is queued by the deletions feature), so that is
 * allowed; what a feature must never reach is the wiring: the Express app,
 * the container, the scheduler and job registry, the CLIs, the server.
 */
const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src');

const TOP = new Set(['http', 'jobs', 'cli', 'container.ts', 'server.ts']);
const FOUNDATION = new Set(['db', 'providers']);

type Layer = 'lib' | 'config' | 'foundation' | 'feature' | 'top';

/** The first path segment under src/ decides a module's layer. */
function layerOf(file: string): Layer {
  const head = path.relative(SRC, file).split(path.sep)[0]!;
  if (head === 'lib') return 'lib';
  if (head === 'config') return 'config';
  if (FOUNDATION.has(head)) return 'foundation';
  if (TOP.has(head)) return 'top';
  return 'feature';
}

const RANK: Record<Layer, number> = { lib: 0, config: 0, foundation: 1, feature: 2, top: 3 };

/**
 * Upward imports we know of and have not removed yet, as "importer -> imported"
 * (paths under src/), each with the reason it stays. Empty: keep it that way.
 */
const ALLOWED_UPWARD = new Set<string>([]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

/** The relative specifiers a module imports or re-exports: static, side-effect only, and dynamic. */
function relativeImports(code: string): string[] {
  const found: string[] = [];
  const patterns = [/\b(?:import|export)\s[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const re of patterns) for (const m of code.matchAll(re)) if (m[1]!.startsWith('.')) found.push(m[1]!);
  return found;
}

/** Every import edge between two modules of src/, with the target resolved to its .ts file. */
function importGraph(): { from: string; to: string }[] {
  return sourceFiles(SRC).flatMap((file) =>
    relativeImports(readFileSync(file, 'utf8')).map((spec) => ({ from: file, to: path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')) })),
  );
}

const rel = (file: string) => path.relative(SRC, file).split(path.sep).join('/');

describe('import direction in src/', () => {
  const edges = importGraph();

  it('finds the modules it checks (the parser reads the import lines)', () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(edges).toContainEqual({ from: path.join(SRC, 'server.ts'), to: path.join(SRC, 'container.ts') });
  });

  it('no module imports from a layer above its own', () => {
    const upward = edges
      .filter((e) => RANK[layerOf(e.to)] > RANK[layerOf(e.from)])
      .map((e) => `${rel(e.from)} -> ${rel(e.to)}`)
      .filter((edge) => !ALLOWED_UPWARD.has(edge));
    expect(upward).toEqual([]);
  });

  it('src/lib/ imports nothing but src/lib/ and the configuration type', () => {
    const bad = edges.filter((e) => layerOf(e.from) === 'lib' && layerOf(e.to) !== 'lib' && layerOf(e.to) !== 'config');
    expect(bad.map((e) => `${rel(e.from)} -> ${rel(e.to)}`)).toEqual([]);
  });

  it('src/config/ imports nothing of ours', () => {
    expect(edges.filter((e) => layerOf(e.from) === 'config' && layerOf(e.to) !== 'config').map((e) => rel(e.to))).toEqual([]);
  });

  it('no feature imports the Express app, the container, the jobs wiring, the CLIs or the server', () => {
    const bad = edges.filter((e) => layerOf(e.from) === 'feature' && layerOf(e.to) === 'top');
    expect(bad.map((e) => `${rel(e.from)} -> ${rel(e.to)}`)).toEqual([]);
  });

  it('the allow-list holds only edges that still exist', () => {
    const present = new Set(edges.map((e) => `${rel(e.from)} -> ${rel(e.to)}`));
    expect([...ALLOWED_UPWARD].filter((edge) => !present.has(edge))).toEqual([]);
  });
});
