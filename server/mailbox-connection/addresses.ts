/** The user's own addresses (capture rule 5), read from Graph /me at connect and refreshed daily. */
import { normalizeAddresses } from "../../shared/capture";
import { createGraphClient, type GraphStats } from "../graph/client";
import type { Outbound } from "../http/outbound";

/** The `/me` fields that carry the user's own addresses. */
export interface MeAddresses {
  mail?: string | null;
  userPrincipalName?: string | null;
  proxyAddresses?: string[] | null;
  displayName?: string | null;
}

/** mail, UPN and the SMTP proxy addresses ("SMTP:" primary, "smtp:" aliases; X500:, SIP: … are not mail). */
export function addressesFromMe(me: MeAddresses): string[] {
  const proxies = (me.proxyAddresses ?? []).filter((p) => /^smtp:/i.test(p)).map((p) => p.slice(5));
  return normalizeAddresses([me.mail, me.userPrincipalName, ...proxies]);
}

export async function readMe(graph: { graphBaseUrl: string; outbound: Outbound }, accessToken: () => Promise<string>, stats?: GraphStats): Promise<MeAddresses> {
  const { client } = createGraphClient({ baseUrl: graph.graphBaseUrl, outbound: graph.outbound, getAccessToken: accessToken, stats, maxRetries: 3 });
  return (await client.api("/me").select("mail,userPrincipalName,proxyAddresses,displayName").get()) as MeAddresses;
}
