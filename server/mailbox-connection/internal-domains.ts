/**
 * The organization's verified domains (Graph GET /organization, which delegated User.Read allows): mail at
 * these domains is a colleague's, never a contact's. Read at connect with the fresh token, and by a sweep
 * when older than INTERNAL_DOMAINS_MAX_AGE_MS (a tenant adds or removes domains rarely): about one request
 * per organization a day.
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import type { Kysely } from "kysely";
import type { Database } from "../db/schema";
import { createGraphClient, type GraphStats } from "../graph/client";
import type { Outbound } from "../http/outbound";
import { internalDomainsReadAt, setInternalDomains } from "../store/organizations";

export const INTERNAL_DOMAINS_MAX_AGE_MS = 24 * 3600_000;

interface OrganizationResponse {
  value?: { verifiedDomains?: { name?: unknown }[] | null }[];
}

/** The verified domain names Graph reports for the caller's tenant (malformed entries are skipped). */
export async function readVerifiedDomainsWith(client: Client): Promise<string[]> {
  const body = (await client.api("/organization").select("verifiedDomains").get()) as OrganizationResponse | null;
  const names: string[] = [];
  for (const org of Array.isArray(body?.value) ? body.value : []) {
    for (const d of Array.isArray(org?.verifiedDomains) ? org.verifiedDomains : [])
      if (typeof d?.name === "string") names.push(d.name);
  }
  return names;
}

export async function readVerifiedDomains(
  graph: { graphBaseUrl: string; outbound: Outbound },
  accessToken: () => Promise<string>,
  stats?: GraphStats,
): Promise<string[]> {
  const { client } = createGraphClient({
    baseUrl: graph.graphBaseUrl,
    outbound: graph.outbound,
    getAccessToken: accessToken,
    stats,
    maxRetries: 3,
  });
  return readVerifiedDomainsWith(client);
}

/**
 * Re-read the verified domains with a sweep's Graph client when they are older than a day (or were never
 * read). Never throws: a failure leaves the domains known so far (or the user's own) in force, and the
 * next sweep tries again. Returns whether it stored new ones.
 */
export async function refreshInternalDomainsIfStale(
  deps: { db: Kysely<Database>; now: Date; client: Client; logger: { warn(obj: object, msg: string): void } },
  organizationId: string,
): Promise<boolean> {
  const at = await internalDomainsReadAt(deps.db, organizationId);
  if (at && deps.now.getTime() - Date.parse(at) < INTERNAL_DOMAINS_MAX_AGE_MS) return false;
  try {
    const domains = await readVerifiedDomainsWith(deps.client);
    if (!domains.length) return false;
    await setInternalDomains(deps.db, organizationId, domains, deps.now);
    return true;
  } catch (err) {
    deps.logger.warn(
      { organizationId, error: (err as Error)?.message?.slice(0, 200) },
      "could not refresh the organization's verified domains",
    );
    return false;
  }
}
