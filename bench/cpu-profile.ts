import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The parts of a V8 .cpuprofile (what --cpu-prof writes) this summary reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: an npm package, a file of ours, a part of Node, or V8 itself. */
function moduleOf(url: string, root: string): string {
  if (!url) return '(V8/native)';
  const file = url.startsWith('file://') ? new URL(url).pathname : url;
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = file.slice(nm + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (file.startsWith('node:')) return file.split('/').slice(0, 3).join('/');
  return path.relative(root, file);
}

/** A stage of the request: a sample belongs to the innermost frame on its stack that a stage claims. */
export interface Stage {
  label: string;
  claims(functionName: string, url: string): boolean;
}

export interface ProfileSummary {
  /** Sampled milliseconds: busy (not idle) in total, the top functions and modules by self time, and every stage. */
  busyMs: number;
  functions: { name: string; ms: number }[];
  modules: { name: string; ms: number }[];
  stages: { name: string; ms: number }[];
}

/**
 * Self time by function and by module over CPU profiles, counting only the
 * samples inside the given windows (CLOCK_MONOTONIC microseconds, the clock V8
 * stamps samples with on Linux, as process.hrtime reads it) when windows are given.
 */
export function summariseProfiles(files: string[], windows: [number, number][], root: string, stages: Stage[] = [], top = 15): ProfileSummary {
  const byFunction = new Map<string, number>();
  const byModule = new Map<string, number>();
  const byStage = new Map<string, number>();
  let busy = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const stageOf = new Map<number, string>();
    const stageOfNode = (id: number): string => {
      let label = stageOf.get(id);
      if (label === undefined) {
        const frame = nodes.get(id)!;
        const own = stages.find((st) => st.claims(frame.functionName, frame.url))?.label;
        const up = parent.get(id);
        label = own ?? (up === undefined ? '' : stageOfNode(up));
        stageOf.set(id, label);
      }
      return label;
    };
    let at = profile.startTime;
    for (let i = 0; i < profile.samples.length; i += 1) {
      const delta = profile.timeDeltas[i] ?? 0;
      at += delta;
      if (windows.length > 0 && !windows.some(([from, to]) => at >= from && at <= to)) continue;
      const frame = nodes.get(profile.samples[i]!)!;
      if (frame.functionName === '(idle)') continue;
      const ms = delta / 1000;
      busy += ms;
      const mod = frame.functionName.startsWith('(') ? frame.functionName : moduleOf(frame.url, root);
      const name = `${frame.functionName || '(anonymous)'} ${mod}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
      byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
      byModule.set(mod, (byModule.get(mod) ?? 0) + ms);
      const stage = stageOfNode(profile.samples[i]!) || `other: ${mod}`;
      byStage.set(stage, (byStage.get(stage) ?? 0) + ms);
    }
  }
  const sorted = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms }));
  return { busyMs: busy, functions: sorted(byFunction), modules: sorted(byModule), stages: stages.length > 0 ? sorted(byStage) : [] };
}

export function formatSummary(label: string, s: ProfileSummary): string[] {
  const pct = (ms: number) => `${((ms / Math.max(s.busyMs, 1e-9)) * 100).toFixed(1).padStart(5)}%`;
  return [
    `  ${label} CPU profile: ${(s.busyMs / 1000).toFixed(1)} s busy in the measured rounds${s.stages.length > 0 ? '; by stage of the request:' : ''}`,
    ...s.stages.map((m) => `    ${pct(m.ms)}  ${m.name}`),
    '  self time by module:',
    ...s.modules.map((m) => `    ${pct(m.ms)}  ${m.name}`),
    '  by function:',
    ...s.functions.map((f) => `    ${pct(f.ms)}  ${f.name}`),
  ];
}
