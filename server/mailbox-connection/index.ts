/**
 * Wiring for the process entry points (embedded server, API process, worker): the connection
 * service from configuration, with the encryption key resolved the documented way
 * (TOKEN_ENCRYPTION_KEY, else the embedded-mode key file under DATA_DIR).
 */
import type { Config } from "../config";
import { createTokenCipher, resolveEncryptionKey } from "../identity/token-crypto";
import { createConnectionService, type ConnectionService, type ConnectionServiceDeps } from "./service";

export type { CallbackResult, ConnectCaller, ConnectionService, ConnectionServiceDeps } from "./service";
export { addressesFromMe, classifyTokenError, createConnectionService } from "./service";

export function createConnectionServiceFromConfig(
  deps: Omit<ConnectionServiceDeps, "cipher" | "config"> & {
    config: Pick<Config, "entra" | "graphBaseUrl" | "publicUrl" | "tokenEncryptionKey" | "dataDir">;
  },
): ConnectionService {
  const key = resolveEncryptionKey(deps.config, deps.logger);
  return createConnectionService({ ...deps, cipher: createTokenCipher(key) });
}
