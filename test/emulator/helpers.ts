/**
 * Test helpers: an msal-node INetworkModule over the outbound fetch that trusts the emulator's CA
 * (the product's own adapter lives in server/identity/), and a standard emulator setup.
 */
import crypto from "node:crypto";
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from "@azure/msal-node";
import { createOutbound, type Outbound } from "../../server/http/outbound";
import { startEmulator, type Emulator, type EmulatorOptions } from "../../emulator/index";
import { sampleDataset } from "../../emulator/sample-data";

export function msalNetworkClient(outbound: Outbound): INetworkModule {
  const call = async <T>(
    method: "GET" | "POST",
    url: string,
    options?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> => {
    const res = await outbound.fetch(url, {
      method,
      headers: options?.headers,
      body: method === "POST" ? options?.body : undefined,
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => (headers[k] = v));
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { headers, body: body as T, status: res.status };
  };
  return {
    sendGetRequestAsync: (url, options) => call("GET", url, options),
    sendPostRequestAsync: (url, options) => call("POST", url, options),
  };
}

export interface TestEmulator {
  emulator: Emulator;
  outbound: Outbound;
  close(): Promise<void>;
}

export async function startTestEmulator(options: EmulatorOptions = {}): Promise<TestEmulator> {
  const emulator = await startEmulator({ dataset: sampleDataset(), ...options });
  const outbound = createOutbound(emulator.caPem);
  return {
    emulator,
    outbound,
    close: async () => {
      await outbound.close();
      await emulator.close();
    },
  };
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = crypto.randomBytes(32).toString("base64url");
  return { verifier, challenge: crypto.createHash("sha256").update(verifier).digest("base64url") };
}

/** Run the auth-code flow with plain fetch (login_hint auto-approval) and return the token response. */
export async function authCodeTokens(
  t: TestEmulator,
  o: { tenant: string; clientId: string; clientSecret?: string; redirectUri: string; loginHint: string; scope: string },
): Promise<Record<string, unknown>> {
  const { verifier, challenge } = pkcePair();
  const authorize = new URL(`${t.emulator.url}/${o.tenant}/oauth2/v2.0/authorize`);
  const params = {
    client_id: o.clientId,
    response_type: "code",
    redirect_uri: o.redirectUri,
    scope: o.scope,
    state: "s1",
    code_challenge: challenge,
    code_challenge_method: "S256",
    login_hint: o.loginHint,
  };
  for (const [k, v] of Object.entries(params)) authorize.searchParams.set(k, v);
  const r = await t.outbound.fetch(authorize, { redirect: "manual" });
  const location = new URL(r.headers.get("location") ?? "");
  const code = location.searchParams.get("code") ?? "";
  const form = new URLSearchParams({
    client_id: o.clientId,
    grant_type: "authorization_code",
    code,
    redirect_uri: o.redirectUri,
    code_verifier: verifier,
    scope: o.scope,
  });
  if (o.clientSecret) form.set("client_secret", o.clientSecret);
  const tr = await t.outbound.fetch(`${t.emulator.url}/${o.tenant}/oauth2/v2.0/token`, { method: "POST", body: form });
  return (await tr.json()) as Record<string, unknown>;
}
