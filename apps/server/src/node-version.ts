/**
 * The Node.js lines this service is run and tested on, with the day each line's upstream support
 * ends (https://github.com/nodejs/release#release-schedule). Keep in step with `engines` in the
 * root and server package.json, and with docs/operations.md.
 */
export const NODE_LINES: Readonly<Record<number, { codename: string; endOfLife: string }>> = {
  20: { codename: 'Iron', endOfLife: '2026-04-30' },
  22: { codename: 'Jod', endOfLife: '2027-04-30' },
  24: { codename: 'Krypton', endOfLife: '2028-04-30' },
};

export type NodeSupport =
  | { status: 'supported'; major: number }
  | { status: 'end-of-life'; major: number; message: string }
  | { status: 'unsupported'; major: number; message: string };

/**
 * Whether `version` (as in `process.version`, e.g. `v20.20.2`) is a line we support on the day
 * `now`. A supported line past its end-of-life date still runs (CI runs Node 20), with a warning.
 */
export function nodeSupport(version: string, now: Date): NodeSupport {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1] ?? Number.NaN);
  const line = NODE_LINES[major];
  const supported = Object.keys(NODE_LINES).join(', ');
  if (line === undefined) {
    return {
      status: 'unsupported',
      major,
      message: `Node.js ${version} is not a supported line (supported: ${supported}); it is untested here`,
    };
  }
  if (now.getTime() >= Date.parse(`${line.endOfLife}T00:00:00Z`)) {
    return {
      status: 'end-of-life',
      major,
      message: `Node.js ${major} (${line.codename}) reached end of life on ${line.endOfLife} and gets no security fixes; move to a newer supported line`,
    };
  }
  return { status: 'supported', major };
}
