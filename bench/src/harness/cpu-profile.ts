import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of a V8 .cpuprofile (node --cpu-prof) this summary reads. */
interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

const IDLE = '(idle)';

export interface CpuShare {
  name: string;
  ms: number;
  share: number;
}

export interface CpuProfileSummary {
  file: string;
  totalMs: number;
  /** Sampled time with nothing to run (waiting for PostgreSQL or for requests); shares below are of the rest. */
  idleMs: number;
  /** Self time by where the code lives: a package, a file of ours, node internals, GC, idle. */
  byPlace: CpuShare[];
  /** Self time by function, the busiest first. */
  byFunction: CpuShare[];
}

/** The profile node --cpu-prof wrote for `pid` in `dir` (CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile). */
export function findCpuProfile(dir: string, pid: number): string | undefined {
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile') && name.split('.')[3] === String(pid));
  return file === undefined ? undefined : join(dir, file);
}

/** Self time of every sampled function, summed by function and by where its code lives. */
export function summarizeCpuProfile(path: string, top: number): CpuProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const byPlace = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let totalMs = 0;
  profile.samples.forEach((nodeId, i) => {
    const frame = nodes.get(nodeId);
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    if (frame === undefined) return;
    totalMs += ms;
    const place = placeOf(frame.url, frame.functionName);
    byPlace.set(place, (byPlace.get(place) ?? 0) + ms);
    const name = `${frame.functionName === '' ? '(anonymous)' : frame.functionName} ${place}${frame.url === '' ? '' : `:${frame.lineNumber + 1}`}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
  });
  const idleMs = byPlace.get(IDLE) ?? 0;
  const ranked = (map: Map<string, number>): CpuShare[] =>
    [...map.entries()]
      .filter(([name]) => !name.startsWith(IDLE))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms, share: ms / (totalMs - idleMs) }));
  return { file: path, totalMs, idleMs, byPlace: ranked(byPlace), byFunction: ranked(byFunction) };
}

/** A package name for dependencies, a repository path for our code, the runtime's own categories otherwise. */
function placeOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const dependency = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (dependency?.[1] !== undefined) return dependency[1];
  const ours = /\/((?:packages|apps)\/[^/]+\/src\/.+)$/.exec(url);
  return ours?.[1] ?? url.replace(/^file:\/\//, '');
}

