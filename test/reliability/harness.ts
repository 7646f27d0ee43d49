/**
 * In-process reliability harness: the HTTPS emulator, the real connect service (tokens from the MSAL
 * cache stored at connect), a SQLite file, the real sweep service with its embedded scheduler (driven by
 * `tick`, the same call its timer makes) and the real app. One ManualClock drives the emulator and the
 * server, so "three hours pass" or "the sweep overruns the hour" take no real time.
 * Built on the connect suite's harness; connecting goes through POST /api/connection → the emulator's
 * authorize endpoint → /auth/callback, with the per-address callback limit raised (one test address
 * connects a hundred users in seconds).
 */
import { createApp } from "../../server/app";
import { createTokenVerifier } from "../../server/identity/token-verifier";
import type { SweepGraphOptions } from "../../server/sweep/engine";
import { createSweepService, type SweepService } from "../../server/sweep/service";
import { createContact } from "../../server/store/contacts";
import { CLIENT_ID, startHarness, TENANT, type Harness } from "../connect/harness";
import { predict, seedFleet, type Expected, type Fleet } from "./fleet";
import { stubMail } from "../api/stub-services";

export { TENANT };

export interface ReliabilityHarness {
  h: Harness;
  sweeps: SweepService;
  app: ReturnType<typeof createApp>;
  orgId: string;
  /** oid → user id, for every connected user. */
  userIds: Map<string, string>;
  /** user id → oid (what the exactness check keys on). */
  oidOf: Map<string, string>;
  advance(ms: number): void;
  apiToken(oid: string): string;
  /** Seed the fleet into the emulator and create its tracked contacts (tracked a day ago). */
  addFleet(fleet: Fleet): Promise<void>;
  /** Provision and connect these users through the real flow, `parallel` at a time. */
  connectAll(oids: readonly string[], parallel?: number): Promise<void>;
  /** One scheduler tick at the current (manual) time, then wait until every sweep it started has ended. */
  tickAndWait(): Promise<void>;
  expected(oids?: readonly string[]): Expected;
  latestSweeps(): Promise<
    Map<string, { status: string; error: string | null; retries: number; graphRequests: number }>
  >;
  close(): Promise<void>;
}

export async function startReliabilityHarness(
  o: { graph?: Partial<SweepGraphOptions>; windowHours?: number; concurrency?: number } = {},
): Promise<ReliabilityHarness> {
  const h = await startHarness();
  const sweeps = createSweepService({
    db: h.db,
    clock: h.clock,
    logger: h.logger,
    tokens: h.service,
    graph: { baseUrl: h.emulator.url, outbound: h.outbound, ...o.graph },
    config: { windowHours: o.windowHours ?? 24, overlapMinutes: 15 },
    intervalMinutes: 60,
    concurrency: o.concurrency ?? 8,
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
    rateLimit: { perSecond: 1000, burst: 1000, unauthenticated: { perSecond: 1000, burst: 1000 } },
  });
  const userIds = new Map<string, string>();
  const oidOf = new Map<string, string>();
  let fleets: Fleet[] = [];
  const apiToken = (oid: string) => h.apiToken(oid);

  async function connect(oid: string): Promise<void> {
    const auth = { authorization: `Bearer ${apiToken(oid)}` };
    const me = await app.request("/api/me", { headers: auth });
    if (me.status !== 200) throw new Error(`/api/me answered ${me.status}: ${await me.text()}`);
    const userId = ((await me.json()) as { user: { id: string } }).user.id;
    userIds.set(oid, userId);
    oidOf.set(userId, oid);
    const start = await app.request("/api/connection", { method: "POST", headers: auth });
    if (start.status !== 200) throw new Error(`POST /api/connection answered ${start.status}: ${await start.text()}`);
    const authorizeUrl = ((await start.json()) as { authorizeUrl: string }).authorizeUrl;
    const consent = await h.outbound.fetch(authorizeUrl, { redirect: "manual" });
    if (consent.status !== 302) throw new Error(`authorize answered ${consent.status}`);
    const back = new URL(consent.headers.get("location")!);
    const cb = await app.request(`${back.pathname}${back.search}`);
    if (cb.status !== 200) throw new Error(`callback answered ${cb.status}`);
    await cb.text();
  }

  const r: ReliabilityHarness = {
    h,
    sweeps,
    app,
    orgId: TENANT,
    userIds,
    oidOf,
    advance: (ms) => h.advance(ms),
    apiToken,
    async addFleet(fleet) {
      fleets = [...fleets, fleet];
      seedFleet(h.emulator.state, fleet);
      const dayAgo = new Date(h.clock.now().getTime() - 86_400_000);
      // The organization exists once its first user has called the API.
      await app.request("/api/me", { headers: { authorization: `Bearer ${apiToken(fleet.users[0].id)}` } });
      for (const email of fleet.trackedContacts)
        await createContact(h.db, TENANT, { email }, dayAgo).catch(() => undefined);
    },
    async connectAll(oids, parallel = 8) {
      for (let i = 0; i < oids.length; i += parallel) await Promise.all(oids.slice(i, i + parallel).map(connect));
    },
    async tickAndWait() {
      await sweeps.scheduler.tick(h.clock.now());
      await sweeps.scheduler.idle();
    },
    expected(oids) {
      const all = oids ?? [...userIds.keys()];
      const tracked = [...new Set(fleets.flatMap((f) => f.trackedContacts))];
      return predict(h.emulator.state, all, tracked);
    },
    async latestSweeps() {
      const rows = await h.db
        .selectFrom("sweeps")
        .selectAll()
        .where("organizationId", "=", TENANT)
        .orderBy("startedAt", "asc")
        .orderBy("id", "asc")
        .execute();
      const out = new Map<string, { status: string; error: string | null; retries: number; graphRequests: number }>();
      for (const row of rows)
        out.set(oidOf.get(row.userId) ?? row.userId, {
          status: row.status,
          error: row.error,
          retries: Number(row.retries),
          graphRequests: Number(row.graphRequests),
        });
      return out;
    },
    async close() {
      await sweeps.stop({ abort: true });
      await h.close();
    },
  };
  return r;
}
