/**
 * Graph access tokens for a connected mailbox, with no one present: MSAL's silent flow over the
 * connection's sealed token cache. When Entra says the grant is gone, the connection becomes
 * reauth_required (with the words the pane shows) and ReauthRequiredError is thrown.
 */
import { InteractionRequiredAuthError, ServerError, type AuthenticationResult } from "@azure/msal-node";
import { NotConnectedError, ReauthRequiredError, type GraphTokenOptions } from "../identity/errors";
import {
  GRAPH_SCOPES,
  createCachePlugin,
  createConfidentialClient,
  createConnectionCacheStore,
} from "../identity/msal-client";
import { TokenDecryptionError } from "../identity/token-crypto";
import { getConnection, markReconnectNeeded } from "../store/mailbox-connections";
import type { ConnectContext } from "./context";
import { reauthReason } from "./outcomes";

/** invalid_grant & co. as ReauthRequired, with the AADSTS code when Entra gave one; null = transient. */
export function classifyTokenError(err: unknown): { aadsts: number | null } | null {
  const aadstsOf = (e: { errorNo?: string; errorMessage?: string }) => {
    const n = Number(e.errorNo ?? /AADSTS(\d+)/.exec(e.errorMessage ?? "")?.[1]);
    return Number.isFinite(n) && n > 0 ? n : null;
  };
  if (err instanceof InteractionRequiredAuthError) return { aadsts: aadstsOf(err) };
  if (err instanceof ServerError && (err.errorCode === "invalid_grant" || err.errorCode === "interaction_required"))
    return { aadsts: aadstsOf(err) };
  return null;
}

/** Flip active → reauth_required (never a disconnected connection back to anything), log it, and throw. */
async function reconnectNeeded(
  ctx: ConnectContext,
  organizationId: string,
  userId: string,
  reason: string,
  aadsts: number | null,
): Promise<never> {
  const { db, clock, logger } = ctx.deps;
  await markReconnectNeeded(db, organizationId, userId, reason, clock.now());
  logger.warn({ organizationId, userId, aadsts }, "mailbox connection needs the user to reconnect");
  throw new ReauthRequiredError(reason, aadsts);
}

async function acquireSilently(
  ctx: ConnectContext,
  organizationId: string,
  userId: string,
  homeAccountId: string,
  opts: GraphTokenOptions,
): Promise<string> {
  const { db, cipher, clock, config, logger } = ctx.deps;
  const reauth = (reason: string, aadsts: number | null) =>
    reconnectNeeded(ctx, organizationId, userId, reason, aadsts);
  const store = createConnectionCacheStore({ db, cipher, organizationId, userId, now: () => clock.now() });
  const cca = createConfidentialClient({
    entra: config.entra,
    networkClient: ctx.networkClient,
    cachePlugin: createCachePlugin(store),
    logger,
  });
  let result: AuthenticationResult;
  try {
    const account = await cca.getTokenCache().getAccountByHomeId(homeAccountId);
    if (!account) return await reauth(reauthReason(null, "no_account"), null);
    // With claims, MSAL skips the cached access token and redeems the refresh token with them (plus cp1):
    // after a revocation Entra refuses it, which is how a CAE challenge ends in reauth_required.
    result = await cca.acquireTokenSilent({
      account,
      scopes: [...GRAPH_SCOPES],
      forceRefresh: opts.forceRefresh ?? false,
      claims: opts.claims,
    });
  } catch (err) {
    if (err instanceof ReauthRequiredError) throw err;
    if (err instanceof TokenDecryptionError) return await reauth(reauthReason(null, "unreadable"), null);
    const c = classifyTokenError(err);
    if (c) return await reauth(reauthReason(c.aadsts), c.aadsts);
    throw err; // transient (network, 5xx, throttled): the caller retries later
  }
  if (!result?.accessToken) return await reauth(reauthReason(null), null);
  return result.accessToken;
}

export async function getGraphAccessToken(
  ctx: ConnectContext,
  organizationId: string,
  userId: string,
  opts: GraphTokenOptions = {},
): Promise<string> {
  return ctx.lock(`${organizationId}/${userId}`, async () => {
    const row = await getConnection(ctx.deps.db, organizationId, userId);
    if (!row || row.status === "disconnected" || !row.tokenCache || !row.homeAccountId) {
      throw new NotConnectedError("This user's mailbox is not connected.");
    }
    // Known gone: do not ask Entra again until the user reconnects.
    if (row.status === "reauth_required") throw new ReauthRequiredError(row.statusReason ?? reauthReason(null));
    return acquireSilently(ctx, organizationId, userId, row.homeAccountId, opts);
  });
}
