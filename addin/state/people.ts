/** Who is who to the signed-in user: the organization's own domains, from GET /api/me. */
import type { MeResponse } from "../../shared/api/contract";
import { domainOf, normalizeAddress } from "../../shared/capture/address";

/**
 * The organization's own domains: the server's list (its verified domains), else the domains of the
 * user's own addresses — the same fallback the server uses before any mailbox is connected.
 */
export function ownDomainsOf(me: MeResponse | null | undefined): string[] {
  if (!me) return [];
  const listed = (me.organization.internalDomains ?? []).map((d) => d.trim().toLowerCase()).filter(Boolean);
  if (listed.length) return [...new Set(listed)];
  const addresses = [me.user.email, ...me.user.addresses]
    .map((a) => normalizeAddress(a))
    .filter((a): a is string => !!a);
  return [...new Set(addresses.map(domainOf))];
}

/** At one of the organization's domains or a subdomain of one: a colleague, never a contact to track. */
export function isColleague(address: string, ownDomains: readonly string[]): boolean {
  const a = normalizeAddress(address);
  if (!a) return false;
  const domain = domainOf(a);
  return ownDomains.some((d) => domain === d || domain.endsWith(`.${d}`));
}
