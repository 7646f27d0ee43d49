/** Who is who to the signed-in user: their own domains, from GET /api/me. */
import type { MeResponse } from "../../shared/api/contract";
import { domainOf, normalizeAddress } from "../../shared/capture/address";

/** The domains of the user's own addresses (as the capture rules see colleagues). */
export function ownDomainsOf(me: MeResponse | null | undefined): string[] {
  if (!me) return [];
  const addresses = [me.user.email, ...me.user.addresses]
    .map((a) => normalizeAddress(a))
    .filter((a): a is string => !!a);
  return [...new Set(addresses.map(domainOf))];
}

/** At one of the user's own domains: a colleague, never a contact to track. */
export function isColleague(address: string, ownDomains: readonly string[]): boolean {
  const a = normalizeAddress(address);
  return !!a && ownDomains.includes(domainOf(a));
}
