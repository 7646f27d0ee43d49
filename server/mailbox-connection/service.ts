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
import { InteractionRequiredAuthError, ServerError, type AuthenticationResult } from "@azure/msal-node";
import type { Kysely } from "kysely";
import { normalizeAddresses } from "../../shared/capture";
import type { Clock } from "../clock";
import type { Config } from "../config";
import type { Database } from "../db/schema";
import { createGraphClient, type GraphStats } from "../graph/client";
import type { Outbound } from "../http/outbound";
import { createAuthStateStore, type StateRejection } from "../identity/auth-state";
import { IdentityUnavailableError, NotConnectedError, ReauthRequiredError, type GraphTokenSource } from "../identity/errors";
import {
  CONNECT_SCOPES,
  GRAPH_SCOPES,
  createCachePlugin,
  createConfidentialClient,
  createConnectionCacheStore,
  createMemoryCacheStore,
  sealTokenCache,
  type MsalLogSink,
} from "../identity/msal-client";
import { createMsalNetworkClient } from "../identity/msal-network";
import { TokenDecryptionError, type TokenCipher } from "../identity/token-crypto";
import { disconnectConnection, getConnection, markReconnectNeeded, saveConnection } from "../store/mailbox-connections";
import { getUser, setUserAddresses } from "../store/users";
import { CALLBACK_FAILURES, CONNECTED_MESSAGE, reauthReason, type CallbackFailureCode } from "./outcomes";

export interface ConnectionLogger extends MsalLogSink {
  info(obj: object, msg: string): void;
}

export interface ConnectionServiceDeps {
  db: Kysely<Database>;
  config: Pick<Config, "entra" | "graphBaseUrl" | "publicUrl">;
  clock: Clock;
  logger: ConnectionLogger;
  outbound: Outbound;
  cipher: TokenCipher;
  /** Called after a successful (re)connect, e.g. to start the first sweep at once. Not awaited; errors are logged. */
  onConnected?: (organizationId: string, userId: string) => void | Promise<void>;
}

/** The signed-in add-in user, as the API's auth middleware knows them. */
export interface ConnectCaller {
  organizationId: string;
  userId: string;
  /** preferred_username from the API token: steers Microsoft's account picker to the same account. */
  preferredUsername?: string | null;
}

export type CallbackQuery = Record<string, string | undefined>;

export type CallbackResult =
  | { ok: true; status: "connected"; organizationId: string; userId: string; title: string; message: string }
  | { ok: false; status: "failed"; code: CallbackFailureCode; title: string; message: string; httpStatus: 400 | 502 };

export interface ConnectionService extends GraphTokenSource {
  /**
   * GraphTokenSource, plus forceRefresh: skip the cached access token (e.g. Graph answered 401 to a
   * token MSAL still considers valid) and redeem the refresh token now.
   */
  getGraphAccessToken(organizationId: string, userId: string, opts?: { forceRefresh?: boolean }): Promise<string>;
  start(caller: ConnectCaller): Promise<{ authorizeUrl: string }>;
  handleCallback(query: CallbackQuery): Promise<CallbackResult>;
  /** Deletes the tokens at once; engagements stay. Returns false when there was no connection. */
  disconnect(organizationId: string, userId: string): Promise<boolean>;
  /**
   * Re-read the user's addresses from Graph /me when older than maxAgeMs (default a day).
   * Returns true when it refreshed. Throws ReauthRequiredError / NotConnectedError like getGraphAccessToken.
   */
  refreshAddressesIfStale(organizationId: string, userId: string, opts?: { maxAgeMs?: number; stats?: GraphStats }): Promise<boolean>;
}

const DAY_MS = 24 * 3600_000;

/** The `/me` fields that carry the user's own addresses (capture rule 5). */
interface MeAddresses {
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

/** invalid_grant & co. as ReauthRequired, with the AADSTS code when Entra gave one; null = transient. */
export function classifyTokenError(err: unknown): { aadsts: number | null } | null {
  const aadstsOf = (e: { errorNo?: string; errorMessage?: string }) => {
    const n = Number(e.errorNo ?? /AADSTS(\d+)/.exec(e.errorMessage ?? "")?.[1]);
    return Number.isFinite(n) && n > 0 ? n : null;
  };
  if (err instanceof InteractionRequiredAuthError) return { aadsts: aadstsOf(err) };
  if (err instanceof ServerError && (err.errorCode === "invalid_grant" || err.errorCode === "interaction_required")) return { aadsts: aadstsOf(err) };
  return null;
}

export function createConnectionService(deps: ConnectionServiceDeps): ConnectionService {
  const { db, config, clock, logger, outbound, cipher } = deps;
  const redirectUri = `${config.publicUrl}/auth/callback`;
  const networkClient = createMsalNetworkClient(outbound);
  const states = createAuthStateStore({ db, cipher, clock });

  // One token operation per user at a time in this process: a sweep and a send racing to refresh
  // would each rotate the refresh token and the later write would win anyway, but serialising
  // keeps Entra traffic at one refresh.
  const inFlight = new Map<string, Promise<unknown>>();
  function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = inFlight.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    inFlight.set(key, tail);
    void tail.then(() => {
      if (inFlight.get(key) === tail) inFlight.delete(key);
    });
    return run;
  }

  const fail = (code: CallbackFailureCode, detail?: string, httpStatus: 400 | 502 = 400): CallbackResult => {
    const f = CALLBACK_FAILURES[code];
    return { ok: false, status: "failed", code, title: f.title, message: detail ? `${f.message} (${detail})` : f.message, httpStatus };
  };

  const STATE_FAILURE: Record<StateRejection, CallbackFailureCode> = {
    missing: "missing_state",
    invalid: "invalid_state",
    expired: "expired_state",
    used: "used_state",
    unknown: "unknown_state",
  };

  async function readMe(accessToken: () => Promise<string>, stats?: GraphStats): Promise<MeAddresses> {
    const { client } = createGraphClient({ baseUrl: config.graphBaseUrl, outbound, getAccessToken: accessToken, stats, maxRetries: 3 });
    return (await client.api("/me").select("mail,userPrincipalName,proxyAddresses,displayName").get()) as MeAddresses;
  }

  /** Flip active → reauth_required (never a disconnected connection back to anything). */
  async function markReauthRequired(organizationId: string, userId: string, reason: string): Promise<void> {
    await markReconnectNeeded(db, organizationId, userId, reason, clock.now());
  }

  async function getGraphAccessToken(organizationId: string, userId: string, opts: { forceRefresh?: boolean } = {}): Promise<string> {
    return serialized(`${organizationId}/${userId}`, async () => {
      const row = await getConnection(db, organizationId, userId);
      if (!row || row.status === "disconnected" || !row.tokenCache || !row.homeAccountId) {
        throw new NotConnectedError("This user's mailbox is not connected.");
      }
      // Known gone: do not ask Entra again until the user reconnects.
      if (row.status === "reauth_required") throw new ReauthRequiredError(row.statusReason ?? reauthReason(null));

      const reauth = async (reason: string, aadsts: number | null): Promise<never> => {
        await markReauthRequired(organizationId, userId, reason);
        logger.warn({ organizationId, userId, aadsts }, "mailbox connection needs the user to reconnect");
        throw new ReauthRequiredError(reason, aadsts);
      };

      const store = createConnectionCacheStore({ db, cipher, organizationId, userId, now: () => clock.now() });
      const cca = createConfidentialClient({ entra: config.entra, networkClient, cachePlugin: createCachePlugin(store), logger });
      let result: AuthenticationResult;
      try {
        const account = await cca.getTokenCache().getAccountByHomeId(row.homeAccountId);
        if (!account) return await reauth(reauthReason(null, "no_account"), null);
        result = await cca.acquireTokenSilent({ account, scopes: [...GRAPH_SCOPES], forceRefresh: opts.forceRefresh ?? false });
      } catch (err) {
        if (err instanceof ReauthRequiredError) throw err;
        if (err instanceof TokenDecryptionError) return await reauth(reauthReason(null, "unreadable"), null);
        const c = classifyTokenError(err);
        if (c) return await reauth(reauthReason(c.aadsts), c.aadsts);
        throw err; // transient (network, 5xx, throttled): the caller retries later
      }
      if (!result?.accessToken) return await reauth(reauthReason(null), null);
      return result.accessToken;
    });
  }

  return {
    getGraphAccessToken,

    async start(caller) {
      const issued = await states.issue({ organizationId: caller.organizationId, userId: caller.userId });
      const cca = createConfidentialClient({ entra: config.entra, networkClient, logger });
      // getAuthCodeUrl resolves the authority's metadata over the network: its failures are the
      // identity provider's, not the caller's (503, not 500).
      const authorizeUrl = await cca.getAuthCodeUrl({
        scopes: [...CONNECT_SCOPES],
        redirectUri,
        responseMode: "query",
        state: issued.state,
        // The id_token must echo it: ties the tokens to this very request.
        nonce: issued.nonce,
        codeChallenge: issued.codeChallenge,
        codeChallengeMethod: "S256",
        loginHint: caller.preferredUsername ?? undefined,
      }).catch((err: unknown) => {
        logger.warn({ organizationId: caller.organizationId, userId: caller.userId, err: (err as Error)?.message }, "mailbox connect: authority unavailable");
        throw new IdentityUnavailableError("The Microsoft sign-in service could not be reached. Try again in a moment.");
      });
      logger.info({ organizationId: caller.organizationId, userId: caller.userId }, "mailbox connect started");
      return { authorizeUrl };
    },

    async handleCallback(query) {
      const consumed = await states.consume(query.state);
      if (!consumed.ok) {
        logger.warn({ reason: consumed.reason }, "connect callback rejected: state");
        return fail(STATE_FAILURE[consumed.reason]);
      }
      const { organizationId, userId } = consumed;
      const log = (msg: string, extra: object = {}) => logger.warn({ organizationId, userId, ...extra }, msg);

      if (query.error) {
        // First line of Entra's description only (the rest is trace ids), bounded.
        const detail = (query.error_description ?? "").split(/\r?\n/)[0].slice(0, 300) || query.error;
        log("connect callback: authorization error", { error: query.error });
        return fail(query.error === "access_denied" ? "consent_declined" : "authorize_error", detail);
      }
      if (!query.code) {
        log("connect callback rejected: no code");
        return fail("missing_code");
      }
      const user = await getUser(db, organizationId, userId);
      if (!user) return fail("unknown_state");

      // The exchange writes into a cache that lives in memory until the account checks pass.
      const memory = createMemoryCacheStore();
      const cca = createConfidentialClient({ entra: config.entra, networkClient, cachePlugin: createCachePlugin(memory), logger });
      let result: AuthenticationResult;
      try {
        result = await cca.acquireTokenByCode({
          code: query.code,
          redirectUri,
          scopes: [...CONNECT_SCOPES],
          codeVerifier: consumed.codeVerifier,
          nonce: consumed.nonce,
        });
      } catch (err) {
        if (err instanceof ServerError || err instanceof InteractionRequiredAuthError) {
          log("connect callback rejected: code exchange", { error: err.errorCode, aadsts: classifyTokenError(err)?.aadsts ?? null });
          return fail("code_rejected");
        }
        log("connect callback: identity provider unreachable", { error: (err as Error)?.name });
        return fail("identity_unavailable", undefined, 502);
      }

      const claims = (result.idTokenClaims ?? {}) as { tid?: string; oid?: string; preferred_username?: string };
      const tid = claims.tid ?? result.account?.tenantId;
      const oid = claims.oid ?? result.account?.localAccountId;
      if (tid !== organizationId || oid !== user.oid) {
        log("connect callback rejected: consenting account is not the user who started");
        const who = claims.preferred_username ?? result.account?.username;
        return fail("wrong_account", who ? `you signed in as ${who}` : undefined);
      }
      const serializedCache = memory.current();
      if (!serializedCache || !result.account?.homeAccountId) return fail("code_rejected");

      let me: MeAddresses | null = null;
      try {
        me = await readMe(async () => result.accessToken);
      } catch (err) {
        // Still connected: the user's sign-in name stays their known address and the daily refresh retries.
        log("could not read the user's addresses from Graph at connect", { error: (err as Error)?.message?.slice(0, 200) });
      }

      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        await saveConnection(
          trx,
          organizationId,
          userId,
          { homeAccountId: result.account!.homeAccountId, tokenCache: sealTokenCache(cipher, organizationId, userId, serializedCache) },
          now,
        );
        if (me) {
          const addresses = addressesFromMe(me);
          if (addresses.length) await setUserAddresses(trx, organizationId, userId, addresses, now, me.mail ?? me.userPrincipalName, me.displayName ?? undefined);
        }
      });
      logger.info({ organizationId, userId }, "mailbox connected");
      if (deps.onConnected) {
        // Not awaited: the dialog gets its answer now; the pane watches the first sweep through /api/me.
        const onConnected = deps.onConnected;
        void Promise.resolve()
          .then(() => onConnected(organizationId, userId))
          .catch((err: unknown) => logger.error({ organizationId, userId, error: (err as Error)?.message }, "first sweep after connect could not be started"));
      }
      return { ok: true, status: "connected", organizationId, userId, title: "Mailbox connected", message: CONNECTED_MESSAGE };
    },

    async disconnect(organizationId, userId) {
      // Behind any in-flight refresh, so its cache write cannot land after the delete (it would be refused anyway).
      const done = await serialized(`${organizationId}/${userId}`, () => disconnectConnection(db, organizationId, userId, clock.now()));
      if (done) logger.info({ organizationId, userId }, "mailbox disconnected; tokens deleted");
      return done;
    },

    async refreshAddressesIfStale(organizationId, userId, opts = {}) {
      const user = await getUser(db, organizationId, userId);
      if (!user) throw new NotConnectedError("No such user.");
      const maxAge = opts.maxAgeMs ?? DAY_MS;
      const at = user.addressesRefreshedAt ? new Date(user.addressesRefreshedAt).getTime() : 0;
      if (clock.now().getTime() - at < maxAge) return false;
      const me = await readMe(() => getGraphAccessToken(organizationId, userId), opts.stats);
      const addresses = addressesFromMe(me);
      if (!addresses.length) return false;
      await setUserAddresses(db, organizationId, userId, addresses, clock.now(), me.mail ?? me.userPrincipalName, me.displayName ?? undefined);
      return true;
    },
  };
}
