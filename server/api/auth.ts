/**
 * Authentication for /api/*: verify the Bearer token, then find or create the caller's
 * organization and user (first call auto-provisions). The result goes into the Hono context.
 * Provisioned ids are memoised per (tid, oid) so the hot path costs no extra query.
 * An application's token (client credentials) provisions nobody: it is the whole tenant, and may call only
 * the operations server/api/roles.ts opens to applications, checked here before any route runs.
 * Failed authentications are limited per client address (FailedAuthLimit): past the limit, a request
 * whose token is not already verified answers 429 without being verified.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { Clock } from "../clock";
import type { Db } from "../db";
import { AuthError, AuthorityUnavailableError, type Caller, type TokenVerifier } from "../identity/token-verifier";
import { ensureOrganization } from "../store/organizations";
import { provisionUser } from "../store/users";
import { OPERATIONS } from "./api-document";
import { appRateKey, type AppEnv } from "./context";
import { APP_OPERATIONS, assertAppMayCall } from "./roles";
import { FailedAuthLimit, type RateLimitSettings } from "./security";

const MAX_MEMO = 10_000;

export function authMiddleware(deps: {
  db: Db;
  verifier: TokenVerifier;
  clock: Clock;
  rateLimit?: RateLimitSettings;
}): MiddlewareHandler<AppEnv> {
  const provisioned = new Map<string, string>();
  const failures = new FailedAuthLimit(deps.rateLimit?.failedAuth);
  async function verifyCounted(c: Context, header: string | undefined): Promise<Caller> {
    try {
      return await deps.verifier.verify(header);
    } catch (err) {
      const callersFault =
        err instanceof AuthError && err.code === "invalid_token" && !(err instanceof AuthorityUnavailableError);
      if (callersFault) failures.failed(c);
      // AuthError propagates to the central handler: 401 with WWW-Authenticate.
      throw err;
    }
  }
  return async (c, next) => {
    const header = c.req.header("authorization");
    // A missing token costs nothing to refuse: it still gets its 401, which tells the pane to sign in.
    const caller = header && failures.blocked(c) ? deps.verifier.known?.(header) : await verifyCounted(c, header);
    if (!caller) return failures.refuse(c);
    if (caller.kind === "app") {
      const operationId = operationOf(c.req.method, c.req.path);
      assertAppMayCall(caller, operationId);
      // An application may write before any member has signed in: its rows need the organization.
      if (APP_OPERATIONS[operationId ?? ""] === "write" && !provisioned.has(caller.organizationId)) {
        await ensureOrganization(deps.db, caller.organizationId, deps.clock.now());
        if (provisioned.size >= MAX_MEMO) provisioned.clear();
        provisioned.set(caller.organizationId, caller.organizationId);
      }
      c.set("caller", caller);
      c.set("orgId", caller.organizationId);
      c.set("userId", appRateKey(caller));
      return next();
    }
    const memoKey = `${caller.organizationId}\u0000${caller.oid}`;
    let userId = provisioned.get(memoKey);
    if (!userId) {
      const user = await provisionUser(
        deps.db,
        {
          organizationId: caller.organizationId,
          oid: caller.oid,
          email: caller.preferredUsername,
          displayName: caller.name,
        },
        deps.clock.now(),
      );
      userId = user.id;
      if (provisioned.size >= MAX_MEMO) provisioned.clear();
      provisioned.set(memoKey, userId);
    }
    c.set("caller", caller);
    c.set("orgId", caller.organizationId);
    c.set("userId", userId);
    await next();
  };
}

interface OperationMatch {
  method: string;
  pattern: RegExp;
  operationId: string;
}

/** The /api operations, literal paths first so /api/engagements/changes is never taken for /api/engagements/{id}. */
const API_OPERATIONS: OperationMatch[] = OPERATIONS.filter((op) => op.path.startsWith("/api/"))
  .sort((a, b) => Number(a.path.includes("{")) - Number(b.path.includes("{")))
  .map((op) => ({
    method: op.method.toUpperCase(),
    pattern: new RegExp(`^${op.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{\w+\}/g, "[^/]+")}/?$`),
    operationId: op.operationId ?? "",
  }));

/** The declared operation a request is for, or null (HEAD is GET's). */
export function operationOf(method: string, path: string): string | null {
  const m = method.toUpperCase() === "HEAD" ? "GET" : method.toUpperCase();
  return API_OPERATIONS.find((op) => op.method === m && op.pattern.test(path))?.operationId ?? null;
}
