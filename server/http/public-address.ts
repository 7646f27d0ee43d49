/**
 * Which IP addresses an outbound call to a URL someone else chose (a webhook endpoint) may reach: only
 * public unicast ones. Private, loopback, link-local, CGNAT, multicast, documentation, benchmarking and
 * reserved ranges are refused, and so are IPv6 forms that embed an IPv4 address (IPv4-mapped, NAT64,
 * 6to4, Teredo), since they would reach that IPv4 address.
 */
import net from "node:net";

// One list per family: a BlockList matches IPv4 addresses against IPv6 rules too (as ::ffff:a.b.c.d),
// so the IPv4-mapped rule would refuse every IPv4 address.
const BLOCKED_V4 = new net.BlockList();
const BLOCKED_V6 = new net.BlockList();
for (const [prefix, bits] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  BLOCKED_V4.addSubnet(prefix, bits, "ipv4");
for (const [prefix, bits] of [
  ["::", 128],
  ["::1", 128],
  ["::ffff:0:0", 96],
  ["::", 96], // IPv4-compatible (deprecated)
  ["64:ff9b::", 96],
  ["64:ff9b:1::", 48],
  ["100::", 64],
  ["2001::", 23], // Teredo and IETF protocol assignments
  ["2001:db8::", 32],
  ["2002::", 16],
  ["fc00::", 7],
  ["fe80::", 10],
  ["fec0::", 10],
  ["ff00::", 8],
] as const)
  BLOCKED_V6.addSubnet(prefix, bits, "ipv6");

/** True when the address is a public unicast IP address; false for anything else, including non-addresses. */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const family = net.isIP(bare);
  if (family === 0) return false;
  return family === 4 ? !BLOCKED_V4.check(bare, "ipv4") : !BLOCKED_V6.check(bare, "ipv6");
}
