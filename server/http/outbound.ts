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
  const f = ((input: any, init?: any) =>
    globalThis.fetch(input, { ...init, dispatcher } as any)) as typeof globalThis.fetch;
  return { fetch: f, fetchOptions: { dispatcher }, close: () => closeWithin(dispatcher, CLOSE_GRACE_MS) };
}

/** How long close() lets requests in flight finish before it cuts their connections. */
const CLOSE_GRACE_MS = 2000;

/**
 * Agent.close() waits for every request to complete, and a response whose body nobody read completes
 * only when the garbage collector gets to it: seconds, or never. Shutdown must not wait on that, so a
 * graceful close gets a grace period and then the connections are destroyed.
 */
async function closeWithin(dispatcher: Agent, graceMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const graceful = dispatcher.close().then(
    () => true,
    () => true, // rejected once destroy() cut it short
  );
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)));
  const closed = await Promise.race([graceful, late]);
  clearTimeout(timer);
  if (!closed) await dispatcher.destroy();
}
