/**
 * The organization's verified domains (Graph GET /organization, which delegated User.Read allows): mail at
 * these domains is a colleague's, never a contact's. Read at connect with the fresh token, and at sweeps
 * when older than INTERNAL_DOMAINS_MAX_AGE_MS (a tenant adds or removes domains rarely).
 */
import { createGraphClient, type GraphStats } from "../graph/client";
import type { Outbound } from "../http/outbound";

export const INTERNAL_DOMAINS_MAX_AGE_MS = 24 * 3600_000;

interface OrganizationResponse {
  value?: { verifiedDomains?: { name?: unknown }[] | null }[];
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
  const body = (await client.api("/organization").select("verifiedDomains").get()) as OrganizationResponse;
  const names: string[] = [];
  for (const org of Array.isArray(body?.value) ? body.value : []) {
    for (const d of Array.isArray(org?.verifiedDomains) ? org.verifiedDomains : [])
      if (typeof d?.name === "string") names.push(d.name);
  }
  return names;
}
