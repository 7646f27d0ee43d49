/**
 * POST /api/mail end to end: the sweep suite's harness (real emulator over HTTPS, real connect service,
 * real Graph SDK, SQLite file) plus the mail service mounted in the app.
 */
import { createApp } from "../../server/app";
import { createTokenVerifier } from "../../server/identity/token-verifier";
import { createMailService, type MailServiceDeps } from "../../server/mail/send";
import { CLIENT_ID } from "../connect/harness";
import { startSweepHarness, type SweepHarness } from "../sweep/harness";

export interface MailHarness extends SweepHarness {
  mailApp: ReturnType<typeof createApp>;
  /** POST /api/mail as this user (raw string bodies are sent as they are). */
  send(oid: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
}

export async function startMailHarness(overrides: Partial<MailServiceDeps> = {}): Promise<MailHarness> {
  const s = await startSweepHarness();
  const { h } = s;
  const mail = createMailService({
    db: h.db,
    clock: h.clock,
    logger: h.logger,
    tokens: h.service,
    // One retry of a throttled send (Retry-After honoured), so error tests stay quick.
    graph: { baseUrl: h.emulator.url, outbound: h.outbound, maxRetries: 1, backoffSeconds: 0.02, timeoutMs: 5000 },
    readBackDelaysMs: [0, 50, 100],
    ...overrides,
  });
  const verifier = createTokenVerifier({
    authorityHost: h.emulator.url,
    clientId: CLIENT_ID,
    fetch: h.outbound.fetch,
    clock: h.clock,
  });
  const mailApp = createApp({
    db: h.db,
    config: h.config,
    clock: h.clock,
    logger: h.logger,
    verifier,
    connections: h.service,
    sweeps: s.sweeps,
    mail,
  });
  return Object.assign(s, {
    mailApp,
    async send(oid: string, body: unknown, headers: Record<string, string> = {}) {
      return mailApp.request("/api/mail", {
        method: "POST",
        headers: { authorization: `Bearer ${h.apiToken(oid)}`, "content-type": "application/json", ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
    },
  });
}
