import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, expect, inject } from 'vitest';
import { exercisedSummary, observed, takeProblems } from './openapi-check.js';

/**
 * Every test file: the answers its apps gave (test/helpers/harness.ts observes
 * each app it builds) must be allowed by /openapi.json. A test whose requests
 * got an undocumented status, content type or body fails here, with the list.
 * The operations exercised are recorded for the run's summary
 * (test/openapi-global-setup.ts).
 */
afterEach(() => {
  const problems = takeProblems();
  expect(problems, `answers that /openapi.json does not allow:\n${problems.join('\n')}`).toEqual([]);
});

afterAll(() => {
  const dir = inject('openapiExercisedDir');
  if (!dir || observed.exercised.size === 0) return;
  appendFileSync(path.join(dir, `${process.pid}.txt`), `${exercisedSummary().join('\n')}\n`);
});
