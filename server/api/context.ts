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
  /** The caller's user id in this organization. */
  userId: string;
}

export type AppEnv = { Variables: AppVariables };
export type AppContext = Context<AppEnv>;
