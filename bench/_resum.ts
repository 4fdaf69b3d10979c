import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { formatSummary, summariseProfiles } from './cpu-profile.js';
const dir = process.argv[2]!; const side = process.argv[3] ?? 'server';
const windows = JSON.parse(readFileSync(path.join(dir, 'windows.json'), 'utf8'))[side];
const mod = await import('./incoming-call.bench.js');
const files = readdirSync(path.join(dir, side)).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(dir, side, f));
for (const l of formatSummary(side, summariseProfiles(files, windows, '/work/wt/bench', mod.STAGES, 40))) console.log(l);
