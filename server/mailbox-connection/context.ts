/** What the connect flow's parts share: the service's dependencies and the pieces built once from them. */
import type { INetworkModule } from "@azure/msal-node";
import type { Kysely } from "kysely";
import type { Clock } from "../clock";
import type { Config } from "../config";
import type { Database } from "../db/schema";
import type { Outbound } from "../http/outbound";
import type { AuthStateStore } from "../identity/auth-state";
import type { MsalLogSink } from "../identity/msal-client";
import type { TokenCipher } from "../identity/token-crypto";
import type { UserLock } from "./user-lock";

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
  /**
   * Called before a disconnect deletes the tokens (the last moment Graph can still be called for the
   * mailbox, e.g. to delete its notification subscription). Errors are logged; the disconnect goes on.
   */
  beforeDisconnect?: (organizationId: string, userId: string) => Promise<void>;
  /** Called once the connection is marked disconnected (its tokens gone). Errors are logged. */
  afterDisconnect?: (organizationId: string, userId: string) => Promise<void>;
  /**
   * Distributed mode: API processes make no Graph request. The callback then stores the grant only; the
   * first sweep, on a worker, reads the user's addresses and the organization's verified domains.
   */
  graphReadsInWorkers?: boolean;
}

export interface ConnectContext {
  deps: ConnectionServiceDeps;
  redirectUri: string;
  networkClient: INetworkModule;
  states: AuthStateStore;
  lock: UserLock;
}
