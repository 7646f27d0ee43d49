/**
 * Sweep end-to-end harness: the real emulator (HTTPS Entra + Graph), the real connect service
 * (tokens come from the MSAL cache stored at connect), a SQLite file, the real app — built on the
 * connect suite's harness. One ManualClock drives the emulator and the server.
 */
import { createApp } from "../../server/app";
import { createTokenVerifier } from "../../server/identity/token-verifier";
import type { SweepGraphOptions } from "../../server/sweep/engine";
import { createSweepService, type SweepService, type SweepServiceDeps } from "../../server/sweep/service";
import { addBlockEntry } from "../../server/store/blocklist";
import { createContact } from "../../server/store/contacts";
import { messageKey } from "../../server/store/capture-decisions";
import type { DatasetUser } from "../../emulator/dataset";
import { authorize, callback, CLIENT_ID, startConnect, startHarness, TENANT, type Harness } from "../connect/harness";
import { stubMail } from "../api/stub-services";

export { TENANT };

export interface SweepHarness {
  h: Harness;
  sweeps: SweepService;
  app: ReturnType<typeof createApp>;
  orgId: string;
  setTime(iso: string | Date): void;
  advance(ms: number): void;
  /** Add the user to the emulator (if new), connect them through the real flow; returns the user id. */
  connect(user: DatasetUser): Promise<string>;
  addContact(email: string, createdAt: string | Date): Promise<string>;
  block(entry: string): Promise<void>;
  decisionOf(
    userId: string,
    internetMessageId: string,
  ): Promise<{ outcome: string; reason: string | null; detail: string | null; sweepId: string | null } | null>;
  engagementIds(): Promise<string[]>;
  apiToken(oid: string): string;
  close(): Promise<void>;
}

export async function startSweepHarness(
  overrides: Partial<Omit<SweepServiceDeps, "graph">> & {
    windowHours?: number;
    graph?: Partial<SweepGraphOptions>;
  } = {},
): Promise<SweepHarness> {
  const h = await startHarness();
  const { windowHours, graph, ...rest } = overrides;
  const sweeps = createSweepService({
    db: h.db,
    clock: h.clock,
    logger: h.logger,
    tokens: h.service,
    graph: {
      baseUrl: h.emulator.url,
      outbound: h.outbound,
      maxRetries: 3,
      backoffSeconds: 0.02,
      timeoutMs: 5000,
      ...graph,
    },
    config: { windowHours: windowHours ?? 24, overlapMinutes: 15 },
    intervalMinutes: 60,
    concurrency: 2,
    ...rest,
  });
  const verifier = createTokenVerifier({
    authorityHost: h.emulator.url,
    clientId: CLIENT_ID,
    fetch: h.outbound.fetch,
    clock: h.clock,
  });
  const app = createApp({
    db: h.db,
    config: h.config,
    clock: h.clock,
    logger: h.logger,
    verifier,
    connections: h.service,
    sweeps,
    mail: stubMail(),
  });
  const orgId = TENANT;
  const s: SweepHarness = {
    h,
    sweeps,
    app,
    orgId,
    setTime(t) {
      h.clock.set(t);
      jest.setSystemTime(h.clock.now());
    },
    advance: (ms) => h.advance(ms),
    async connect(user) {
      if (!h.emulator.state.getUser(user.id)) h.emulator.state.addUser(user);
      const url = await startConnect(h, user.id);
      const redirect = await authorize(h, url);
      const res = await callback(h, redirect);
      if (res.status !== 200) throw new Error(`callback answered ${res.status}`);
      return h.userIdOf(user.id);
    },
    async addContact(email, createdAt) {
      return (await createContact(h.db, orgId, { email }, createdAt)).id;
    },
    async block(entry) {
      await addBlockEntry(h.db, orgId, { entry, scope: "organization", userId: "" }, h.clock.now());
    },
    async decisionOf(userId, imid) {
      return (
        (await h.db
          .selectFrom("captureDecisions")
          .select(["outcome", "reason", "detail", "sweepId"])
          .where("organizationId", "=", orgId)
          .where("userId", "=", userId)
          .where("messageKey", "=", messageKey(imid))
          .executeTakeFirst()) ?? null
      );
    },
    async engagementIds() {
      return (
        await h.db.selectFrom("engagements").select("internetMessageId").where("organizationId", "=", orgId).execute()
      )
        .map((r) => r.internetMessageId)
        .sort();
    },
    apiToken: (oid) => h.apiToken(oid),
    async close() {
      await sweeps.stop({ abort: true });
      await h.close();
    },
  };
  return s;
}

export const DANA: DatasetUser = {
  tenantId: TENANT,
  id: "d0d0d0d0-1111-4222-8333-777777777777",
  displayName: "Dana Kim",
  mail: "dana@contoso.com",
  userPrincipalName: "dana@contoso.com",
  proxyAddresses: ["SMTP:dana@contoso.com", "smtp:dana.kim@contoso.com"],
};

export const LEE: DatasetUser = {
  tenantId: TENANT,
  id: "1ee01ee0-1111-4222-8333-888888888888",
  displayName: "Lee Park",
  mail: "lee@contoso.com",
  userPrincipalName: "lee@contoso.com",
  proxyAddresses: ["SMTP:lee@contoso.com"],
};
