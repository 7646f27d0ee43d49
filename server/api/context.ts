/**
 * The Hono environment every API route shares. After the auth middleware, `caller` is the
 * verified token's identity and `orgId` / `userId` the provisioned organization and user —
 * the only source of organization scope (never the request body or path).
 */
import type { Context } from "hono";
import type { Caller } from "../identity/token-verifier";

export interface AppVariables {
  caller: Caller;
  /** Organization id (= the token's tid). */
  orgId: string;
  /**
   * The caller's user id in this organization. For an application's token (caller.kind "app") there is
   * no user: this is appRateKey(caller), which is no user's id — it only keys the rate limit, and the
   * operations applications may call never read it (server/api/roles.ts).
   */
  userId: string;
}

/** The rate-limit key of an application caller: its service principal, prefixed so it can never equal a user id. */
export function appRateKey(caller: Caller): string {
  return `app:${caller.oid}`;
}

export type AppEnv = { Variables: AppVariables };
export type AppContext = Context<AppEnv>;
