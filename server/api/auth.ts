/**
 * Authentication for /api/*: verify the Bearer token, then find or create the caller's
 * organization and user (first call auto-provisions). The result goes into the Hono context.
 * Provisioned ids are memoised per (tid, oid) so the hot path costs no extra query.
 */
import type { MiddlewareHandler } from "hono";
import type { Clock } from "../clock";
import type { Db } from "../db";
import type { TokenVerifier } from "../identity/token-verifier";
import { provisionUser } from "../store/users";
import type { AppEnv } from "./context";

const MAX_MEMO = 10_000;

export function authMiddleware(deps: { db: Db; verifier: TokenVerifier; clock: Clock }): MiddlewareHandler<AppEnv> {
  const provisioned = new Map<string, string>();
  return async (c, next) => {
    // AuthError propagates to the central handler: 401 with WWW-Authenticate.
    const caller = await deps.verifier.verify(c.req.header("authorization"));
    const memoKey = `${caller.organizationId}\u0000${caller.oid}`;
    let userId = provisioned.get(memoKey);
    if (!userId) {
      const user = await provisionUser(
        deps.db,
        { organizationId: caller.organizationId, oid: caller.oid, email: caller.preferredUsername, displayName: caller.name },
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
