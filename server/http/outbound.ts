/**
 * Every outbound HTTPS call of the server (Entra via MSAL, JWKS via jose, Graph via the Graph SDK)
 * goes through one fetch, so one place decides which certificate authorities are trusted.
 *
 * In production Node already trusts NODE_EXTRA_CA_CERTS (read at process start). Tests and the demo
 * start the emulator inside a running process with a certificate made at run time, which
 * NODE_EXTRA_CA_CERTS cannot cover; for them the CA is injected here.
 * undici is pinned to the version Node 20.20 bundles (6.24.1) so its Agent is a valid dispatcher
 * for the global fetch — the Graph SDK calls the global fetch with our fetchOptions.
 */
import tls from "node:tls";
import { Agent } from "undici";

export interface Outbound {
  /** fetch that trusts the system CAs plus the injected ones. */
  fetch: typeof globalThis.fetch;
  /** Extra options to merge into global fetch calls made by libraries (Graph SDK fetchOptions). */
  fetchOptions: Record<string, unknown>;
  close(): Promise<void>;
}

export function createOutbound(extraCaPem?: string | null): Outbound {
  if (!extraCaPem) {
    return { fetch: globalThis.fetch.bind(globalThis), fetchOptions: {}, close: async () => {} };
  }
  const dispatcher = new Agent({ connect: { ca: [...tls.rootCertificates, extraCaPem] } });
  const f = ((input: any, init?: any) => globalThis.fetch(input, { ...init, dispatcher } as any)) as typeof globalThis.fetch;
  return { fetch: f, fetchOptions: { dispatcher }, close: () => dispatcher.close() };
}
