/**
 * Internal addresses are never contacts: tracking a colleague would turn internal mail (lunch, all-staff
 * announcements) into captured engagements for the whole organization. An address at one of the
 * organization's verified domains, or a subdomain of one, is refused with 422 internal_address.
 */
import { blockingEntry, normalizeAddress } from "../../shared/capture";
import { DomainError } from "../domain-error";
import type { Db } from "../db";
import { internalDomainsOf } from "../store/organizations";
import { getUser } from "../store/users";

/** The internal domain the address is at (or under), or null. */
export function internalDomainOf(address: string, domains: readonly string[]): string | null {
  const normalised = normalizeAddress(address);
  if (!normalised) return null;
  const entry = blockingEntry(
    normalised,
    domains.map((d) => `@${d}`),
  );
  return entry ? entry.slice(1) : null;
}

/** The caller's organization's internal domains (verified domains; before any connection, the caller's own domain). */
export async function callerInternalDomains(db: Db, organizationId: string, userId: string): Promise<string[]> {
  const user = await getUser(db, organizationId, userId);
  return internalDomainsOf(db, organizationId, user?.email ?? null);
}

export function internalAddressMessage(address: string, domain: string): string {
  return `${address.trim().toLowerCase()} is at ${domain}, one of your organization's own domains: colleagues are never tracked contacts.`;
}

export function assertNotInternal(address: string, domains: readonly string[]): void {
  const domain = internalDomainOf(address, domains);
  if (domain) throw new DomainError("internal_address", internalAddressMessage(address, domain), { domain });
}
