import { BlockList, isIP } from 'node:net';

/**
 * Which subscriber URLs the service may call, so that it cannot be turned against internal
 * addresses (docs/outbound-events.md#allow-list). The allow-list is LEDGER_OUTBOUND_ALLOWED_HOSTS:
 * host names or IP literals, matched exactly, or `*.example.com` (any subdomain), or `*` (any host).
 * Empty: every URL is refused (default deny).
 *
 * A host named exactly by the list may resolve to any address (the operator named it: a service on
 * the private network, or 127.0.0.1 in a test). A host admitted only by a pattern must resolve to
 * public addresses: every address it resolves to is checked when the request connects, so a DNS
 * answer that changes after the check (rebinding) is checked too.
 */
export type HostAdmission = 'named' | 'pattern' | 'refused';

const PRIVATE_ADDRESSES = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE_ADDRESSES.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const) {
  PRIVATE_ADDRESSES.addSubnet(network, prefix, 'ipv6');
}

/** Loopback, private, link-local, multicast, reserved: anything that is not a public unicast address. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) return PRIVATE_ADDRESSES.check(mapped[1], 'ipv4');
  return PRIVATE_ADDRESSES.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** The URL's host as the allow-list sees it: lower case, IPv6 without brackets. */
export function hostOf(url: URL): string {
  return url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
}

/** How the allow-list admits `host`. */
export function admitHost(host: string, allowedHosts: readonly string[]): HostAdmission {
  const entries = allowedHosts.map((entry) => entry.trim().toLowerCase()).filter((entry) => entry.length > 0);
  if (entries.includes(host)) return 'named';
  const byPattern = entries.some((entry) => entry === '*' || (entry.startsWith('*.') && host.endsWith(entry.slice(1))));
  return byPattern ? 'pattern' : 'refused';
}

/** Why a URL may not be a subscriber URL, or undefined when it may. */
export function refusedUrlReason(raw: string, allowedHosts: readonly string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'the scheme must be http or https';
  if (url.username !== '' || url.password !== '') return 'credentials in the URL are not accepted';
  const host = hostOf(url);
  const admission = admitHost(host, allowedHosts);
  if (admission === 'refused') {
    return allowedHosts.length === 0
      ? 'LEDGER_OUTBOUND_ALLOWED_HOSTS is empty: no subscriber URL is allowed'
      : `the host ${host} is not in LEDGER_OUTBOUND_ALLOWED_HOSTS`;
  }
  if (admission === 'pattern' && isIP(host) !== 0 && isPrivateAddress(host)) {
    return `the address ${host} is private or loopback; name it exactly in LEDGER_OUTBOUND_ALLOWED_HOSTS to allow it`;
  }
  return undefined;
}
