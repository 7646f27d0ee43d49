/** The user's own addresses (capture rule 5), read from Graph /me at connect and refreshed daily. */
import type { Client } from "@microsoft/microsoft-graph-client";
import type { Kysely } from "kysely";
import { normalizeAddresses } from "../../shared/capture";
import type { Database } from "../db/schema";
import { getUser, setUserAddresses } from "../store/users";
import { createGraphClient, type GraphStats } from "../graph/client";
import type { Outbound } from "../http/outbound";

const ME_SELECT = "mail,userPrincipalName,proxyAddresses,displayName";
const ADDRESSES_MAX_AGE_MS = 24 * 3600_000;

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

export async function readMe(
  graph: { graphBaseUrl: string; outbound: Outbound },
  accessToken: () => Promise<string>,
  stats?: GraphStats,
): Promise<MeAddresses> {
  const { client } = createGraphClient({
    baseUrl: graph.graphBaseUrl,
    outbound: graph.outbound,
    getAccessToken: accessToken,
    stats,
    maxRetries: 3,
  });
  return (await client.api("/me").select(ME_SELECT).get()) as MeAddresses;
}

/**
 * Re-read the user's addresses with a sweep's Graph client when they were never read (a connection whose
 * callback left Graph to the workers) or are a day old. Never throws: a failure keeps the addresses known so
 * far (at least the sign-in name) and the next sweep tries again. Returns whether it stored new ones.
 */
export async function refreshUserAddressesIfStale(
  deps: { db: Kysely<Database>; now: Date; client: Client; logger: { warn(obj: object, msg: string): void } },
  organizationId: string,
  userId: string,
): Promise<boolean> {
  const user = await getUser(deps.db, organizationId, userId);
  if (!user) return false;
  const at = user.addressesRefreshedAt ? Date.parse(user.addressesRefreshedAt) : 0;
  if (deps.now.getTime() - at < ADDRESSES_MAX_AGE_MS) return false;
  try {
    const me = (await deps.client.api("/me").select(ME_SELECT).get()) as MeAddresses;
    const addresses = addressesFromMe(me);
    if (!addresses.length) return false;
    await setUserAddresses(
      deps.db,
      organizationId,
      userId,
      addresses,
      deps.now,
      me.mail ?? me.userPrincipalName,
      me.displayName ?? undefined,
    );
    return true;
  } catch (err) {
    deps.logger.warn(
      { organizationId, userId, error: (err as Error)?.message?.slice(0, 200) },
      "could not refresh the user's addresses",
    );
    return false;
  }
}
