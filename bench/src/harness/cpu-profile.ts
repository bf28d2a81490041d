import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of a V8 .cpuprofile (node --cpu-prof) this summary reads. */
interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>;
  /** Microseconds of the monotonic clock (CLOCK_MONOTONIC on Linux, as process.hrtime). */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A stretch of the profiled process's life, in microseconds of the monotonic clock (process.hrtime.bigint() / 1000n). */
export interface ProfileWindow {
  startUs: number;
  endUs: number;
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
  /** Self time by what the code is for (logging, tRPC, express, validation, PostgreSQL driver, JSON, …). */
  byGroup: CpuShare[];
  /** Time with at least one frame of the group on the stack (a sample counts once per group): what removing it could save at most. */
  byGroupInclusive: CpuShare[];
  /** The self time of native socket writes, by the nearest caller that is neither native nor node internals (who writes: pg or the HTTP response). */
  socketWritesBy: CpuShare[];
}

/** The profile node --cpu-prof wrote for `pid` in `dir` (CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile). */
export function findCpuProfile(dir: string, pid: number): string | undefined {
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile') && name.split('.')[3] === String(pid));
  return file === undefined ? undefined : join(dir, file);
}

/** Self time of every sampled function, summed by function, by where its code lives and by what it is for; only inside `window` when given. */
export function summarizeCpuProfile(path: string, top: number, window?: ProfileWindow): CpuProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const byPlace = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const byGroup = new Map<string, number>();
  const byGroupInclusive = new Map<string, number>();
  const socketWritesBy = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, ms: number): void => void map.set(key, (map.get(key) ?? 0) + ms);
  let totalMs = 0;
  let atUs = profile.startTime;
  profile.samples.forEach((nodeId, i) => {
    const deltaUs = profile.timeDeltas[i] ?? 0;
    atUs += deltaUs;
    const frame = nodes.get(nodeId);
    if (frame === undefined || (window !== undefined && (atUs < window.startUs || atUs > window.endUs))) return;
    const ms = deltaUs / 1000;
    totalMs += ms;
    const place = placeOf(frame.url, frame.functionName);
    add(byPlace, place, ms);
    add(byFunction, `${frame.functionName === '' ? '(anonymous)' : frame.functionName} ${place}${frame.url === '' ? '' : `:${frame.lineNumber + 1}`}`, ms);
    const group = groupOf(place, frame.functionName);
    add(byGroup, group, ms);
    const stack: string[] = [];
    for (let id: number | undefined = nodeId; id !== undefined; id = parents.get(id)) {
      const ancestor = nodes.get(id);
      if (ancestor !== undefined && ancestor.functionName !== '(root)') stack.push(groupOf(placeOf(ancestor.url, ancestor.functionName), ancestor.functionName));
    }
    for (const onStack of new Set(stack)) add(byGroupInclusive, onStack, ms);
    if (group === SOCKET_WRITES) add(socketWritesBy, stack.find((g) => !LOW_LEVEL.has(g)) ?? 'no caller of ours', ms);
  });
  const idleMs = byPlace.get(IDLE) ?? 0;
  const ranked = (map: Map<string, number>, count = top): CpuShare[] =>
    [...map.entries()]
      .filter(([name]) => !name.startsWith(IDLE))
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, ms]) => ({ name, ms, share: ms / (totalMs - idleMs) }));
  return {
    file: path, totalMs, idleMs,
    byPlace: ranked(byPlace), byFunction: ranked(byFunction), byGroup: ranked(byGroup, byGroup.size), byGroupInclusive: ranked(byGroupInclusive, byGroupInclusive.size),
    socketWritesBy: ranked(socketWritesBy, socketWritesBy.size),
  };
}

export const shareText = (value: number): string => `${(value * 100).toFixed(1)} %`;

/** A profile summary as markdown: self time by group (and on the stack), who writes to sockets, the busiest functions, where the code lives. */
export function profileTables(summary: CpuProfileSummary): string[] {
  return [
    '| group | self time | share of busy | on the stack (inclusive) |',
    '|---|---:|---:|---:|',
    ...summary.byGroup.map((group) => {
      const inclusive = summary.byGroupInclusive.find((g) => g.name === group.name);
      return `| ${group.name} | ${Math.round(group.ms)} ms | ${shareText(group.share)} | ${inclusive === undefined ? '-' : shareText(inclusive.share)} |`;
    }),
    '',
    `Native socket writes by who writes: ${summary.socketWritesBy.map((w) => `${w.name} ${shareText(w.share)}`).join(', ')} (shares of busy).`,
    '',
    '| function | self time | share of busy |',
    '|---|---:|---:|',
    ...summary.byFunction.map((fn) => `| \`${fn.name}\` | ${Math.round(fn.ms)} ms | ${shareText(fn.share)} |`),
    '',
    '| where (package or file) | self time | share of busy |',
    '|---|---:|---:|',
    ...summary.byPlace.map((place) => `| ${place.name} | ${Math.round(place.ms)} ms | ${shareText(place.share)} |`),
  ];
}

const SOCKET_WRITES = 'socket writes (native)';
const NODE_INTERNALS = 'Node HTTP stack, streams, timers (node internals)';
const OTHER_NATIVE = 'other native (microtasks, regexps, builtins)';
/** Groups that write for someone else: a socket write is charged to the first caller outside them. */
const LOW_LEVEL = new Set([SOCKET_WRITES, NODE_INTERNALS, OTHER_NATIVE]);

/** Where a place's code belongs, for the grouped costs: the first rule whose pattern matches the place. */
const GROUPS: Array<[RegExp, string]> = [
  [/^(pino|pino-.*|@pinojs\/.*|safe-stable-stringify|sonic-boom|thread-stream|fast-redact|quick-format-unescaped|atomic-sleep|on-exit-leak-free)$|^apps\/server\/src\/logger\.ts$/, 'logging'],
  [/^(@trpc\/server|trpc-to-openapi)$|^apps\/server\/src\/(trpc|router|openapi)\.ts$|^apps\/server\/src\/routers\//, 'tRPC'],
  [/^(prom-client|tdigest|bintrees)$|^apps\/server\/src\/metrics\.ts$/, 'metrics'],
  [/^(zod|zod-openapi)$|^packages\/core\/src\/.*(schema|validation|json-safety)[^/]*\.ts$/, 'validation (zod)'],
  [/^(pg|pg-protocol|pg-pool|pg-types|pg-connection-string|postgres-.*|kysely|buffer-writer|packet-reader|pgpass|split2)$|^packages\/core\/src\/db\//, 'PostgreSQL driver (pg, Kysely)'],
  [/^packages\/core\/src\//, 'ledger code (packages/core)'],
  [/^(express|router|body-parser|raw-body|finalhandler|on-finished|send|qs|type-is|content-type|iconv-lite|express-rate-limit|path-to-regexp|depd|debug|http-errors|statuses|vary|cookie|accepts|negotiator|mime-types|encodeurl|escape-html|parseurl|proxy-addr|forwarded|ipaddr\.js|fresh|range-parser|etag|media-typer|bytes|content-disposition|merge-descriptors|utils-merge|serve-static|standardwebhooks)$|^apps\/server\/src\//, 'express, middleware and our HTTP edge (apps/server)'],
  [/^node internals$/, NODE_INTERNALS],
  [/^\(garbage collector\)$/, 'garbage collection'],
];

function groupOf(place: string, functionName: string): string {
  if (place === '(native)') {
    if (functionName === 'parse' || functionName === 'stringify') return 'JSON.parse / JSON.stringify';
    if (/^write/.test(functionName)) return SOCKET_WRITES;
    return OTHER_NATIVE;
  }
  return GROUPS.find(([pattern]) => pattern.test(place))?.[1] ?? (place.startsWith('(') ? place : `other (${place})`);
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

