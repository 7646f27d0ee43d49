/**
 * The mailbox connection: the delegated Graph grant the backend holds for one user.
 *
 * start → the user consents in an Office dialog → handleCallback stores the grant (the MSAL cache,
 * encrypted) → getGraphAccessToken hands the sweep a fresh access token whenever it runs, with no
 * one present → when Entra says the grant is gone, the connection becomes reauth_required and the
 * user reconnects → disconnect deletes the tokens at once.
 *
 * Time columns: connectedAt is when the user first connected (or reconnected after a disconnect —
 * a new capture window); a reconnect after reauth_required keeps connectedAt and
 * lastSuccessWindowEnd, so the next sweep reaches back to the last success and fills the gap.
 */
import { createAuthStateStore } from "../identity/auth-state";
import {
  IdentityUnavailableError,
  NotConnectedError,
  type GraphTokenOptions,
  type GraphTokenSource,
} from "../identity/errors";
import { CONNECT_SCOPES, createConfidentialClient } from "../identity/msal-client";
import { createMsalNetworkClient } from "../identity/msal-network";
import type { GraphStats } from "../graph/client";
import { disconnectConnection } from "../store/mailbox-connections";
import { getUser, setUserAddresses } from "../store/users";
import { addressesFromMe, readMe } from "./addresses";
import { handleCallback, type CallbackQuery, type CallbackResult } from "./callback";
import type { ConnectContext, ConnectionServiceDeps } from "./context";
import { getGraphAccessToken } from "./tokens";
import { createUserLock } from "./user-lock";

export { addressesFromMe } from "./addresses";
export type { CallbackQuery, CallbackResult } from "./callback";
export type { ConnectionLogger, ConnectionServiceDeps } from "./context";
export { classifyTokenError } from "./tokens";

/** The signed-in add-in user, as the API's auth middleware knows them. */
export interface ConnectCaller {
  organizationId: string;
  userId: string;
  /** preferred_username from the API token: steers Microsoft's account picker to the same account. */
  preferredUsername?: string | null;
}

export interface ConnectionService extends GraphTokenSource {
  getGraphAccessToken(organizationId: string, userId: string, opts?: GraphTokenOptions): Promise<string>;
  start(caller: ConnectCaller): Promise<{ authorizeUrl: string }>;
  handleCallback(query: CallbackQuery): Promise<CallbackResult>;
  /** Deletes the tokens at once; engagements stay. Returns false when there was no connection. */
  disconnect(organizationId: string, userId: string): Promise<boolean>;
  /**
   * Re-read the user's addresses from Graph /me when older than maxAgeMs (default a day).
   * Returns true when it refreshed. Throws ReauthRequiredError / NotConnectedError like getGraphAccessToken.
   */
  refreshAddressesIfStale(
    organizationId: string,
    userId: string,
    opts?: { maxAgeMs?: number; stats?: GraphStats },
  ): Promise<boolean>;
}

const DAY_MS = 24 * 3600_000;

/** An authorize URL for the Office dialog, with a fresh signed state and PKCE challenge. */
async function start(ctx: ConnectContext, caller: ConnectCaller): Promise<{ authorizeUrl: string }> {
  const { config, logger } = ctx.deps;
  const issued = await ctx.states.issue({ organizationId: caller.organizationId, userId: caller.userId });
  const cca = createConfidentialClient({ entra: config.entra, networkClient: ctx.networkClient, logger });
  // getAuthCodeUrl resolves the authority's metadata over the network: its failures are the
  // identity provider's, not the caller's (503, not 500).
  const authorizeUrl = await cca
    .getAuthCodeUrl({
      scopes: [...CONNECT_SCOPES],
      redirectUri: ctx.redirectUri,
      responseMode: "query",
      state: issued.state,
      // The id_token must echo it: ties the tokens to this very request.
      nonce: issued.nonce,
      codeChallenge: issued.codeChallenge,
      codeChallengeMethod: "S256",
      loginHint: caller.preferredUsername ?? undefined,
    })
    .catch((err: unknown) => {
      logger.warn(
        { organizationId: caller.organizationId, userId: caller.userId, err: (err as Error)?.message },
        "mailbox connect: authority unavailable",
      );
      throw new IdentityUnavailableError("The Microsoft sign-in service could not be reached. Try again in a moment.");
    });
  logger.info({ organizationId: caller.organizationId, userId: caller.userId }, "mailbox connect started");
  return { authorizeUrl };
}

async function disconnect(ctx: ConnectContext, organizationId: string, userId: string): Promise<boolean> {
  const { db, clock, logger, beforeDisconnect } = ctx.deps;
  if (beforeDisconnect)
    await beforeDisconnect(organizationId, userId).catch((err: unknown) =>
      logger.warn(
        { organizationId, userId, err: (err as Error)?.message },
        "mailbox disconnect: cleanup before it failed",
      ),
    );
  // Behind any in-flight refresh, so its cache write cannot land after the delete (it would be refused anyway).
  const done = await ctx.lock(`${organizationId}/${userId}`, () =>
    disconnectConnection(db, organizationId, userId, clock.now()),
  );
  if (done) logger.info({ organizationId, userId }, "mailbox disconnected; tokens deleted");
  await ctx.deps
    .afterDisconnect?.(organizationId, userId)
    .catch((err: unknown) =>
      logger.warn(
        { organizationId, userId, err: (err as Error)?.message },
        "mailbox disconnect: cleanup after it failed",
      ),
    );
  return done;
}

async function refreshAddressesIfStale(
  ctx: ConnectContext,
  organizationId: string,
  userId: string,
  opts: { maxAgeMs?: number; stats?: GraphStats },
): Promise<boolean> {
  const { db, clock, config, outbound } = ctx.deps;
  const user = await getUser(db, organizationId, userId);
  if (!user) throw new NotConnectedError("No such user.");
  const maxAge = opts.maxAgeMs ?? DAY_MS;
  const at = user.addressesRefreshedAt ? new Date(user.addressesRefreshedAt).getTime() : 0;
  if (clock.now().getTime() - at < maxAge) return false;
  const me = await readMe(
    { graphBaseUrl: config.graphBaseUrl, outbound },
    () => getGraphAccessToken(ctx, organizationId, userId),
    opts.stats,
  );
  const addresses = addressesFromMe(me);
  if (!addresses.length) return false;
  await setUserAddresses(
    db,
    organizationId,
    userId,
    addresses,
    clock.now(),
    me.mail ?? me.userPrincipalName,
    me.displayName ?? undefined,
  );
  return true;
}

export function createConnectionService(deps: ConnectionServiceDeps): ConnectionService {
  const ctx: ConnectContext = {
    deps,
    redirectUri: `${deps.config.publicUrl}/auth/callback`,
    networkClient: createMsalNetworkClient(deps.outbound),
    states: createAuthStateStore({ db: deps.db, cipher: deps.cipher, clock: deps.clock }),
    lock: createUserLock(),
  };
  return {
    getGraphAccessToken: (organizationId, userId, opts) => getGraphAccessToken(ctx, organizationId, userId, opts),
    start: (caller) => start(ctx, caller),
    handleCallback: (query: CallbackQuery): Promise<CallbackResult> => handleCallback(ctx, query),
    disconnect: (organizationId, userId) => disconnect(ctx, organizationId, userId),
    refreshAddressesIfStale: (organizationId, userId, opts = {}) =>
      refreshAddressesIfStale(ctx, organizationId, userId, opts),
  };
}
