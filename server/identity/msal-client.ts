/**
 * msal-node for the connect flow and the unattended sweep.
 *
 * One ConfidentialClientApplication per user operation, whose cache holds exactly that user's blob:
 * loaded from mailbox_connections.token_cache (decrypted) before MSAL reads it, written back
 * (encrypted) after MSAL changed it — which is how refresh-token rotation survives a restart and
 * reaches every process. Nothing of one user's grant is ever in memory with another's.
 */
import {
  ConfidentialClientApplication,
  LogLevel,
  type ICachePlugin,
  type INetworkModule,
  type TokenCacheContext,
} from "@azure/msal-node";
import type { Kysely } from "kysely";
import type { Config } from "../config";
import type { Database } from "../db/schema";
import { loadTokenCache, saveTokenCache } from "../store/mailbox-connections";
import type { TokenCipher } from "./token-crypto";

/**
 * Graph scopes the backend holds — the product's fixed delegated set, nothing more: the sweep and
 * finding mail sent from the CRM in Sent Items (Mail.Read), sending as the user with sendMail and
 * reply (Mail.Send; no drafts, so no Mail.ReadWrite) and reading the user's addresses (User.Read).
 * Short names: Entra treats them as Graph scopes and answers with the same spelling, so MSAL's cache
 * lookup by scope matches.
 */
export const GRAPH_SCOPES = ["User.Read", "Mail.Read", "Mail.Send"] as const;
/** Requested at consent. MSAL adds openid/profile/offline_access by itself too; listing them says what we depend on. */
export const CONNECT_SCOPES = ["openid", "profile", "email", "offline_access", ...GRAPH_SCOPES] as const;

/** Where a user's serialized cache lives, in plain text as far as MSAL is concerned. */
export interface SerializedCacheStore {
  load(): Promise<string | null>;
  save(serialized: string): Promise<void>;
}

export function createCachePlugin(store: SerializedCacheStore): ICachePlugin {
  return {
    async beforeCacheAccess(ctx: TokenCacheContext) {
      const serialized = await store.load();
      if (serialized) ctx.tokenCache.deserialize(serialized);
    },
    async afterCacheAccess(ctx: TokenCacheContext) {
      // Only when MSAL changed something: a new or rotated refresh token, a new access token, an
      // account, or a refresh token removed after invalid_grant.
      if (ctx.cacheHasChanged) await store.save(ctx.tokenCache.serialize());
    },
  };
}

/** A cache that lives in memory only: the code exchange, whose result is kept only if the account checks pass. */
export function createMemoryCacheStore(
  initial: string | null = null,
): SerializedCacheStore & { current(): string | null } {
  let value = initial;
  return {
    load: async () => value,
    save: async (s) => {
      value = s;
    },
    current: () => value,
  };
}

/** Associated data for a sealed cache: a cache copied into another user's row will not open. */
export const tokenCacheContext = (organizationId: string, userId: string) =>
  `mailbox_connections.token_cache:${organizationId}:${userId}`;

export function sealTokenCache(
  cipher: TokenCipher,
  organizationId: string,
  userId: string,
  serialized: string,
): string {
  return cipher.encrypt(serialized, tokenCacheContext(organizationId, userId));
}

export function openTokenCache(cipher: TokenCipher, organizationId: string, userId: string, sealed: string): string {
  return cipher.decrypt(sealed, tokenCacheContext(organizationId, userId));
}

/**
 * The user's cache in their connection row. Writes never resurrect a disconnected connection:
 * a refresh racing with "Disconnect" must not put the tokens back.
 */
export function createConnectionCacheStore(deps: {
  db: Kysely<Database>;
  cipher: TokenCipher;
  organizationId: string;
  userId: string;
  now: () => Date;
}): SerializedCacheStore {
  const { db, cipher, organizationId, userId } = deps;
  return {
    async load() {
      const sealed = await loadTokenCache(db, organizationId, userId);
      return sealed ? openTokenCache(cipher, organizationId, userId, sealed) : null;
    },
    async save(serialized) {
      await saveTokenCache(
        db,
        organizationId,
        userId,
        sealTokenCache(cipher, organizationId, userId, serialized),
        deps.now(),
      );
    },
  };
}

export interface MsalLogSink {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface MsalClientOptions {
  entra: Config["entra"];
  networkClient: INetworkModule;
  cachePlugin?: ICachePlugin;
  logger?: MsalLogSink;
}

export function createConfidentialClient(opts: MsalClientOptions): ConfidentialClientApplication {
  const { entra } = opts;
  const authorityHost = entra.authorityHost.replace(/\/+$/, "");
  return new ConfidentialClientApplication({
    auth: {
      clientId: entra.clientId,
      clientSecret: entra.clientSecret,
      authority: `${authorityHost}/${entra.tenant}`,
      // The configured host is trusted as is: no instance discovery against login.microsoftonline.com,
      // which is what makes national clouds and the emulator work with the same code.
      knownAuthorities: [new URL(authorityHost).host],
      // Continuous access evaluation: Graph may then refuse a token at once after a revocation (a claims
      // challenge the sweep answers) instead of honouring it until it expires; the tokens live longer (20-28 h).
      clientCapabilities: ["cp1"],
    },
    cache: opts.cachePlugin ? { cachePlugin: opts.cachePlugin } : undefined,
    system: {
      networkClient: opts.networkClient,
      loggerOptions: {
        // PII off: MSAL then leaves tokens, codes and account names out of its messages.
        piiLoggingEnabled: false,
        logLevel: LogLevel.Warning,
        loggerCallback: (level, message, containsPii) => {
          if (containsPii || !opts.logger) return;
          if (level === LogLevel.Error) opts.logger.error({ component: "msal" }, message);
          else opts.logger.warn({ component: "msal" }, message);
        },
      },
    },
  });
}
