/**
 * The network a client address stands for in a per-IP budget (rate limits, failed sign-ins, reset mails), in one
 * spelling however the address was written:
 * - an IPv4 address is itself, and so is an IPv4-mapped IPv6 address (`::ffff:198.51.100.7`, as a dual-stack socket
 *   reports an IPv4 client);
 * - an IPv6 address counts as its /64, the smallest block a subscriber is given: one subscriber holds 2^64
 *   addresses, and each would otherwise bring a fresh budget.
 * The audit log and sessions keep the address itself; only budgets are counted per network.
 */
import { isIPv6 } from "node:net";

/** An IPv6 address's eight groups as numbers; undefined when it is not one (a zone id, say). */
function ipv6Groups(ip: string): number[] | undefined {
  let canonical: string;
  try {
    // The URL parser writes an IPv6 host in its one canonical form: an embedded IPv4 tail becomes two groups.
    canonical = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  const [head, tail] = canonical.split("::");
  const groups = (part: string | undefined) => (part ? part.split(":").map((group) => Number.parseInt(group, 16)) : []);
  const before = groups(head);
  const after = groups(tail);
  const zeros = tail === undefined ? [] : Array<number>(8 - before.length - after.length).fill(0);
  const all = [...before, ...zeros, ...after];
  return all.length === 8 ? all : undefined;
}

export function budgetNetwork(ip: string): string {
  if (!isIPv6(ip)) return ip;
  // A zone ("%eth0") names the interface an address was reached on, not another network.
  const groups = ipv6Groups(ip.split("%")[0]);
  if (!groups) return ip;
  const mapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  if (mapped) return [groups[6] >> 8, groups[6] & 255, groups[7] >> 8, groups[7] & 255].join(".");
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(":")}::/64`;
}
