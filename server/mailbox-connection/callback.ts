/**
 * The connect callback: redeem the signed state (once), exchange the code with PKCE, check that the
 * consenting account is the user who started, then store the grant (the MSAL cache, sealed) and the
 * user's addresses in one transaction.
 */
import { InteractionRequiredAuthError, ServerError, type AuthenticationResult } from "@azure/msal-node";
import type { StateRejection } from "../identity/auth-state";
import {
  CONNECT_SCOPES,
  createCachePlugin,
  createConfidentialClient,
  createMemoryCacheStore,
  sealTokenCache,
} from "../identity/msal-client";
import { saveConnection } from "../store/mailbox-connections";
import { getUser, setUserAddresses, type UserRecord } from "../store/users";
import { setInternalDomains } from "../store/organizations";
import { addressesFromMe, readMe, type MeAddresses } from "./addresses";
import { readVerifiedDomains } from "./internal-domains";
import type { ConnectContext } from "./context";
import { authorizeErrorDetail, CALLBACK_FAILURES, CONNECTED_MESSAGE, type CallbackFailureCode } from "./outcomes";
import { classifyTokenError } from "./tokens";

export type CallbackQuery = Record<string, string | undefined>;

export type CallbackResult =
  | { ok: true; status: "connected"; organizationId: string; userId: string; title: string; message: string }
  | { ok: false; status: "failed"; code: CallbackFailureCode; title: string; message: string; httpStatus: 400 | 502 };

const STATE_FAILURE: Record<StateRejection, CallbackFailureCode> = {
  missing: "missing_state",
  invalid: "invalid_state",
  expired: "expired_state",
  used: "used_state",
  unknown: "unknown_state",
};

function fail(code: CallbackFailureCode, detail?: string, httpStatus: 400 | 502 = 400): CallbackResult {
  const f = CALLBACK_FAILURES[code];
  // detail is only ever fixed words or facts Entra itself vouched for (the signed-in account), never query text.
  return {
    ok: false,
    status: "failed",
    code,
    title: f.title,
    message: detail ? `${f.message} (${detail})` : f.message,
    httpStatus,
  };
}

interface Redeemed {
  organizationId: string;
  userId: string;
  nonce: string;
  codeVerifier: string;
  log: (msg: string, extra?: object) => void;
}

/** The tokens of the exchange, with the MSAL cache they were written to (in memory until the checks pass). */
interface Exchanged {
  result: AuthenticationResult;
  serializedCache: string | null;
}

async function exchangeCode(ctx: ConnectContext, r: Redeemed, code: string): Promise<Exchanged | CallbackResult> {
  const memory = createMemoryCacheStore();
  const cca = createConfidentialClient({
    entra: ctx.deps.config.entra,
    networkClient: ctx.networkClient,
    cachePlugin: createCachePlugin(memory),
    logger: ctx.deps.logger,
  });
  try {
    const result = await cca.acquireTokenByCode({
      code,
      redirectUri: ctx.redirectUri,
      scopes: [...CONNECT_SCOPES],
      codeVerifier: r.codeVerifier,
      nonce: r.nonce,
    });
    return { result, serializedCache: memory.current() };
  } catch (err) {
    if (err instanceof ServerError || err instanceof InteractionRequiredAuthError) {
      r.log("connect callback rejected: code exchange", {
        error: err.errorCode,
        aadsts: classifyTokenError(err)?.aadsts ?? null,
      });
      return fail("code_rejected");
    }
    r.log("connect callback: identity provider unreachable", { error: (err as Error)?.name });
    return fail("identity_unavailable", undefined, 502);
  }
}

/** The consenting account must be the user who started (same tenant, same object id). */
function wrongAccount(r: Redeemed, user: UserRecord, result: AuthenticationResult): CallbackResult | null {
  const claims = (result.idTokenClaims ?? {}) as { tid?: string; oid?: string; preferred_username?: string };
  const tid = claims.tid ?? result.account?.tenantId;
  const oid = claims.oid ?? result.account?.localAccountId;
  if (tid === r.organizationId && oid === user.oid) return null;
  r.log("connect callback rejected: consenting account is not the user who started");
  const who = claims.preferred_username ?? result.account?.username;
  return fail("wrong_account", who ? `you signed in as ${who}` : undefined);
}

async function storeGrant(
  ctx: ConnectContext,
  r: Redeemed,
  homeAccountId: string,
  serializedCache: string,
  me: MeAddresses | null,
  domains: string[] | null,
): Promise<void> {
  const { db, cipher, clock } = ctx.deps;
  const { organizationId, userId } = r;
  const now = clock.now();
  await db.transaction().execute(async (trx) => {
    await saveConnection(
      trx,
      organizationId,
      userId,
      { homeAccountId, tokenCache: sealTokenCache(cipher, organizationId, userId, serializedCache) },
      now,
    );
    if (me) {
      const addresses = addressesFromMe(me);
      if (addresses.length)
        await setUserAddresses(
          trx,
          organizationId,
          userId,
          addresses,
          now,
          me.mail ?? me.userPrincipalName,
          me.displayName ?? undefined,
        );
    }
    if (domains?.length) await setInternalDomains(trx, organizationId, domains, now);
  });
}

/** Not awaited: the dialog gets its answer now; the pane watches the first sweep through /api/me. */
function announceConnected(ctx: ConnectContext, organizationId: string, userId: string): void {
  const { onConnected, logger } = ctx.deps;
  if (!onConnected) return;
  void Promise.resolve()
    .then(() => onConnected(organizationId, userId))
    .catch((err: unknown) =>
      logger.error(
        { organizationId, userId, error: (err as Error)?.message },
        "first sweep after connect could not be started",
      ),
    );
}

/** Redeem the state and look at what Entra sent back: the redeemed request, or the failure to answer. */
async function redeem(
  ctx: ConnectContext,
  query: CallbackQuery,
): Promise<{ r: Redeemed; code: string } | CallbackResult> {
  const { logger } = ctx.deps;
  const consumed = await ctx.states.consume(query.state);
  if (!consumed.ok) {
    logger.warn({ reason: consumed.reason }, "connect callback rejected: state");
    return fail(STATE_FAILURE[consumed.reason]);
  }
  const { organizationId, userId, nonce, codeVerifier } = consumed;
  const log = (msg: string, extra: object = {}) => logger.warn({ organizationId, userId, ...extra }, msg);
  const r: Redeemed = { organizationId, userId, nonce, codeVerifier, log };
  if (query.error) {
    // Anyone can write these into a link to our origin: the page shows only fixed words (outcomes.ts);
    // the description goes to the log, bounded, for whoever looks into a failed connect.
    log("connect callback: authorization error", {
      error: query.error.slice(0, 100),
      description: query.error_description?.slice(0, 500) ?? null,
    });
    const detail = authorizeErrorDetail(query.error, query.error_description);
    return fail(query.error === "access_denied" ? "consent_declined" : "authorize_error", detail ?? undefined);
  }
  if (!query.code) {
    log("connect callback rejected: no code");
    return fail("missing_code");
  }
  return { r, code: query.code };
}

/** The user's addresses, read with the fresh token; null when Graph would not say (the sweep reads them then). */
async function readMeAtConnect(ctx: ConnectContext, r: Redeemed, accessToken: string): Promise<MeAddresses | null> {
  try {
    return await readMe(
      { graphBaseUrl: ctx.deps.config.graphBaseUrl, outbound: ctx.deps.outbound },
      async () => accessToken,
    );
  } catch (err) {
    // Still connected: the user's sign-in name stays their known address and the sweep retries.
    r.log("could not read the user's addresses from Graph at connect", {
      error: (err as Error)?.message?.slice(0, 200),
    });
    return null;
  }
}

/** The organization's verified domains, read with the fresh token; null when Graph would not say (sweeps retry). */
async function readDomainsAtConnect(ctx: ConnectContext, r: Redeemed, accessToken: string): Promise<string[] | null> {
  try {
    return await readVerifiedDomains(
      { graphBaseUrl: ctx.deps.config.graphBaseUrl, outbound: ctx.deps.outbound },
      async () => accessToken,
    );
  } catch (err) {
    r.log("could not read the organization's verified domains at connect", {
      error: (err as Error)?.message?.slice(0, 200),
    });
    return null;
  }
}

export async function handleCallback(ctx: ConnectContext, query: CallbackQuery): Promise<CallbackResult> {
  const redeemed = await redeem(ctx, query);
  if ("status" in redeemed) return redeemed;
  const { r, code } = redeemed;
  const user = await getUser(ctx.deps.db, r.organizationId, r.userId);
  if (!user) return fail("unknown_state");

  const exchanged = await exchangeCode(ctx, r, code);
  if ("status" in exchanged) return exchanged;
  const { result, serializedCache } = exchanged;
  const rejected = wrongAccount(r, user, result);
  if (rejected) return rejected;
  if (!serializedCache || !result.account?.homeAccountId) return fail("code_rejected");

  const workers = ctx.deps.graphReadsInWorkers === true;
  const me = workers ? null : await readMeAtConnect(ctx, r, result.accessToken);
  const domains = workers ? null : await readDomainsAtConnect(ctx, r, result.accessToken);
  await storeGrant(ctx, r, result.account.homeAccountId, serializedCache, me, domains);
  ctx.deps.logger.info({ organizationId: r.organizationId, userId: r.userId }, "mailbox connected");
  announceConnected(ctx, r.organizationId, r.userId);
  return {
    ok: true,
    status: "connected",
    organizationId: r.organizationId,
    userId: r.userId,
    title: "Mailbox connected",
    message: CONNECTED_MESSAGE,
  };
}
