/**
 * MSAL's network module on top of the server's one outbound fetch (server/http/outbound), so the
 * identity traffic trusts exactly the CAs the rest of the server trusts — in tests and the demo, the
 * emulator's CA made at run time, which NODE_EXTRA_CA_CERTS (read at process start) cannot cover.
 * Behaviour mirrors msal-node's own HttpClient: JSON bodies, lower-case header names, and MSAL's
 * error types for timeouts, network failures and unparseable answers (MSAL retries/throttles on them).
 */
import {
  AuthError,
  ClientAuthErrorCodes,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from "@azure/msal-node";
import type { Outbound } from "../http/outbound";

/** A token endpoint that does not answer in this time is treated as a network failure. */
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Authority metadata (openid-configuration, instance discovery) is the same for every user, and the
 * connect flow builds a new MSAL application per operation; without this every token refresh would
 * first re-download it. Successful answers are kept for an hour.
 */
const METADATA_URL = /\/\.well-known\/openid-configuration(\?|$)|\/discovery\/instance(\?|$)/;
const METADATA_TTL_MS = 60 * 60 * 1000;

export function createMsalNetworkClient(
  outbound: Pick<Outbound, "fetch">,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): INetworkModule {
  const metadata = new Map<string, { at: number; response: NetworkResponse<unknown> }>();
  async function send<T>(
    url: string,
    method: "GET" | "POST",
    options?: NetworkRequestOptions,
    timeout?: number,
  ): Promise<NetworkResponse<T>> {
    const signal = AbortSignal.timeout(timeout ?? timeoutMs);
    let response: Response;
    try {
      response = await outbound.fetch(url, {
        method,
        headers: options?.headers ?? {},
        body: method === "POST" ? (options?.body ?? "") : undefined,
        signal,
      });
    } catch (err) {
      const e = err as Error;
      const timedOut = e?.name === "TimeoutError" || e?.name === "AbortError";
      // Only the URL's origin and the error class: request bodies carry codes, secrets and refresh tokens.
      throw new AuthError(
        ClientAuthErrorCodes.networkError,
        "",
        timedOut
          ? `Request timeout (${new URL(url).origin})`
          : `Network request failed (${new URL(url).origin}): ${e?.message ?? "unknown"}`,
      );
    }
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      headers[key.toLowerCase()] = value;
    });
    let body: T;
    try {
      body = (await response.json()) as T;
    } catch {
      throw new AuthError(
        ClientAuthErrorCodes.tokenParsingError,
        "",
        `Failed to parse response from ${new URL(url).origin} (HTTP ${response.status})`,
      );
    }
    return { headers, body, status: response.status };
  }
  async function get<T>(url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
    if (!METADATA_URL.test(url)) return send<T>(url, "GET", options, timeout);
    const hit = metadata.get(url);
    if (hit && Date.now() - hit.at < METADATA_TTL_MS) return hit.response as NetworkResponse<T>;
    const response = await send<T>(url, "GET", options, timeout);
    if (response.status === 200) metadata.set(url, { at: Date.now(), response });
    return response;
  }
  return {
    sendGetRequestAsync: get,
    sendPostRequestAsync: <T>(url: string, options?: NetworkRequestOptions) => send<T>(url, "POST", options),
  };
}
