/**
 * Freshness — arrival → engagement latency with change notifications, against the hourly sweep.
 *
 * The real embedded server (HTTPS, SQLite, NOTIFICATIONS=on) and the emulator in process. 1,000 mailboxes are
 * connected through the real connect flow (each one subscribed, the emulator's validation handshake
 * included); then messages from a tracked client arrive in random mailboxes at a steady rate. The
 * emulator delays each notification by a random delay drawn from a log-normal distribution (median 5 s,
 * ~95% under 30 s, capped at 180 s: Graph documents under a minute on average and 3 minutes at most) and
 * drops 5% of them. Latency = first time the message's engagement row is seen (polled every 250 ms) minus
 * its arrival. Dropped notifications are left to the sweep: after the run, one sweep of every mailbox
 * that still misses mail must leave nothing lost. Baseline, computed: the hourly sweep captures a message at its
 * mailbox's next slot, uniformly 0–60 min after arrival (mean 30 min, p95 57 min).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEmulator } from "../../emulator";
import type { DatasetUser } from "../../emulator/dataset";
import { startServer } from "../../server/cli/serve";
import { createContact } from "../../server/store/contacts";
import { CLIENT_ID, CLIENT_SECRET, TENANT, log, mintApiToken, round, sleep } from "./common";
import { freePort } from "../support";

export interface FreshnessResult {
  mailboxes: number;
  messagesPerSecond: number;
  seconds: number;
  messages: number;
  delay: string;
  dropRate: number;
  notified: { count: number; p50Ms: number; p95Ms: number; maxMs: number };
  /** Messages whose notification was dropped: captured by the sweep afterwards. */
  caughtBySweep: number;
  lost: number;
  connectSeconds: number;
  baseline: { meanMinutes: number; p95Minutes: number };
}

const CLIENT = "buyer@fabrikam.com";

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Log-normal notification delay: sigma 1.1 (p95 ≈ 6 × the median), capped. */
function notificationDelayMs(random: () => number, medianMs: number, capMs: number): number {
  const u1 = Math.max(random(), 1e-12);
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * random());
  return Math.min(capMs, Math.round(medianMs * Math.exp(1.1 * z)));
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

export async function runFreshness(o: { quick: boolean; mailboxes?: number }): Promise<FreshnessResult> {
  const mailboxes = o.mailboxes ?? (o.quick ? 5 : 1000);
  const rate = o.quick ? 2 : 10;
  const seconds = o.quick ? 5 : 60;
  // Quick mode (the smoke test) shrinks the delay so it ends in seconds.
  const delay = o.quick ? { medianMs: 500, capMs: 5000 } : { medianMs: 5000, capMs: 180_000 };
  const dropRate = 0.05;
  const users: DatasetUser[] = Array.from({ length: mailboxes }, (_, i) => ({
    tenantId: TENANT,
    id: `f0000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    displayName: `User ${i}`,
    mail: `user${i}@contoso.com`,
    userPrincipalName: `user${i}@contoso.com`,
  }));
  const emulator = await startEmulator({
    dataset: {
      tenants: [{ id: TENANT, displayName: "Contoso", domain: "contoso.com" }],
      apps: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, displayName: "EC", redirectUris: [] }],
      users,
    },
  });
  const port = await freePort();
  const publicUrl = `https://localhost:${port}`;
  emulator.state.apps.get(CLIENT_ID)!.redirectUris.push(`${publicUrl}/auth/callback`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-bench-fresh-"));
  const { loadConfig } = await import("../../server/config");
  const loaded = loadConfig({
    ENTRA_CLIENT_ID: CLIENT_ID,
    ENTRA_CLIENT_SECRET: CLIENT_SECRET,
    ENTRA_AUTHORITY_HOST: emulator.url,
    GRAPH_BASE_URL: emulator.url,
    PUBLIC_URL: publicUrl,
    DATA_DIR: dir,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "silent",
    NOTIFICATIONS: "on",
  });
  if (!loaded.ok) throw new Error(loaded.problems.join("; "));
  const server = await startServer({
    config: loaded.config,
    extraCaPem: emulator.caPem,
    port,
    // A thousand mailboxes connect from this one address within minutes: past the per-address callback limit.
    rateLimit: { perSecond: 1000, burst: 1000, unauthenticated: { perSecond: 1000, burst: 1000 } },
  });
  emulator.state.notifier.trustedCas.push(server.caPem);
  try {
    const t0 = performance.now();
    await connectAll(server, emulator, users);
    const connectSeconds = round((performance.now() - t0) / 1000);
    log(`freshness: ${mailboxes} mailboxes connected and subscribed in ${connectSeconds} s`);
    await createContact(server.db, TENANT, { email: CLIENT }, new Date(Date.now() - 86_400_000));
    const random = seeded(23);
    const arrived = new Map<string, { at: number; userId: string }>();
    const seen = new Map<string, number>();
    const poll = setInterval(() => void pollCaptured(server.db, arrived, seen), 250);
    const total = rate * seconds;
    const start = Date.now();
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / rate;
      if (due > Date.now()) await sleep(due - Date.now());
      const user = users[Math.floor(random() * users.length)];
      emulator.state.notifier.setFaults({
        delayMs: notificationDelayMs(random, delay.medianMs, delay.capMs),
        dropRate,
        seed: i + 1,
      });
      const m = emulator.state.addMessage(user.id, {
        subject: `Order ${i}`,
        body: "Hello",
        bodyContentType: "text",
        from: CLIENT,
        to: [user.mail],
      });
      arrived.set(m.immutableId, { at: Date.now(), userId: user.id });
    }
    // Wait for every delivered notification (up to the longest delay) and its capture.
    const dropped = () => emulator.state.notifier.stats.dropped;
    const deadline = Date.now() + 200_000;
    while (seen.size < arrived.size - dropped() && Date.now() < deadline) await sleep(500);
    clearInterval(poll);
    await pollCaptured(server.db, arrived, seen);
    const latencies = [...seen.entries()].map(([id, at]) => at - arrived.get(id)!.at).sort((a, b) => a - b);
    const missing = [...arrived.entries()].filter(([id]) => !seen.has(id));
    // The safety net: one sweep of each mailbox that still misses mail.
    const oids = new Set(missing.map(([, v]) => v.userId));
    const userIds = await server.db.selectFrom("users").select(["id", "oid"]).execute();
    for (const u of userIds.filter((x) => oids.has(x.oid))) {
      const req = await server.sweeps.requestSweep(TENANT, u.id);
      await req.done();
    }
    await pollCaptured(server.db, arrived, seen);
    const lost = [...arrived.keys()].filter((id) => !seen.has(id)).length;
    return {
      mailboxes,
      messagesPerSecond: rate,
      seconds,
      messages: total,
      delay: `log-normal, median ${delay.medianMs / 1000} s, p95 ≈ ${(delay.medianMs * 6) / 1000} s, max ${delay.capMs / 1000} s`,
      dropRate,
      notified: {
        count: latencies.length,
        p50Ms: percentile(latencies, 50),
        p95Ms: percentile(latencies, 95),
        maxMs: latencies[latencies.length - 1] ?? 0,
      },
      caughtBySweep: missing.length - lost,
      lost,
      connectSeconds,
      baseline: { meanMinutes: 30, p95Minutes: 57 },
    };
  } finally {
    await server.close();
    await emulator.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

type Server = Awaited<ReturnType<typeof startServer>>;

/** A loaded loopback sometimes resets a connection; the connect flow is only the set-up here. */
async function withRetry<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts)
        throw new Error(`${String(err)} (${String((err as { cause?: unknown }).cause)})`, { cause: err });
      await sleep(200 * i);
    }
  }
}

async function connectAll(server: Server, emulator: Awaited<ReturnType<typeof startEmulator>>, users: DatasetUser[]) {
  const connect = async (u: DatasetUser) => {
    const auth = { authorization: `Bearer ${mintApiToken(emulator.state, u.id)}` };
    const me = await server.app.request("/api/me", { headers: auth });
    if (me.status !== 200) throw new Error(`/api/me answered ${me.status}`);
    await me.text();
    const start = await server.app.request("/api/connection", { method: "POST", headers: auth });
    const { authorizeUrl } = (await start.json()) as { authorizeUrl: string };
    const consent = await withRetry(() => server.outbound.fetch(authorizeUrl, { redirect: "manual" }));
    const back = new URL(consent.headers.get("location")!);
    const cb = await server.app.request(`${back.pathname}${back.search}`);
    if (cb.status !== 200) throw new Error(`callback answered ${cb.status}`);
    await cb.text();
  };
  for (let i = 0; i < users.length; i += 10) await Promise.all(users.slice(i, i + 10).map(connect));
  // Subscribed (connect subscribes in the background) and first sweeps done.
  const deadline = Date.now() + 600_000;
  for (;;) {
    const subs = await server.db
      .selectFrom("graphSubscriptions")
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirstOrThrow();
    const running = await server.db
      .selectFrom("sweeps")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("status", "=", "running")
      .executeTakeFirstOrThrow();
    if (Number(subs.n) >= users.length && Number(running.n) === 0) break;
    if (Date.now() > deadline) throw new Error(`only ${subs.n} of ${users.length} mailboxes subscribed`);
    await server.notifications.tick();
    await sleep(500);
  }
}

async function pollCaptured(
  db: Server["db"],
  arrived: Map<string, { at: number }>,
  seen: Map<string, number>,
): Promise<void> {
  const pending = [...arrived.keys()].filter((id) => !seen.has(id));
  const now = Date.now();
  for (let i = 0; i < pending.length; i += 500) {
    const rows = await db
      .selectFrom("engagementMailboxes")
      .select("graphMessageId")
      .where("graphMessageId", "in", pending.slice(i, i + 500))
      .execute();
    for (const r of rows) seen.set(r.graphMessageId, now);
  }
}

if (require.main === module) {
  const quick = process.argv.includes("--quick");
  const n = process.argv.find((a) => a.startsWith("--mailboxes="));
  runFreshness({ quick, mailboxes: n ? Number(n.split("=")[1]) : undefined }).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}

/** Its row in the summary table of docs/benchmarks.md. */
export function freshnessSummaryRow(s: { ok: boolean; result?: FreshnessResult }): string {
  if (!s.ok || !s.result) return "| 10. Freshness (notifications) | — | — | — | — | not measured |";
  const x = s.result;
  const met = x.notified.p95Ms < 60_000 && x.lost === 0;
  return `| 10. Arrival → engagement p95, notifications (${x.mailboxes} mailboxes, ${x.messagesPerSecond} msg/s, ${x.dropRate * 100}% dropped) | ${round(x.notified.p95Ms / 1000)} s (p50 ${round(x.notified.p50Ms / 1000)} s); lost ${x.lost} | hourly sweep: mean ${x.baseline.meanMinutes} min, p95 ${x.baseline.p95Minutes} min | ${round((x.baseline.p95Minutes * 60_000) / Math.max(1, x.notified.p95Ms))}× sooner | p95 < 60 s, nothing lost | ${met ? "**met**" : "**MISSED**"} |`;
}

/** Its section of docs/benchmarks.md. */
export function freshnessSection(s: { ok: boolean; result?: FreshnessResult; error?: string }): string[] {
  const out = ["## 10. Freshness: arrival → engagement with change notifications", ""];
  if (!s.ok || !s.result) return [...out, `_Not measured: ${s.error ?? "not run"}._`, ""];
  const x = s.result;
  return [
    ...out,
    `The real embedded server (HTTPS, SQLite, \`NOTIFICATIONS=on\`) and the emulator in process; ${x.mailboxes} mailboxes connected through the real connect flow and subscribed (${x.connectSeconds} s), then ${x.messages} messages from a tracked client arriving in random mailboxes at ${x.messagesPerSecond} per second for ${x.seconds} s. ` +
      `The emulator delays each notification (${x.delay}: Graph documents under a minute on average, three minutes at most) and drops ${x.dropRate * 100}% of them. ` +
      "Latency = when the message's engagement row is first seen (polled every 250 ms) minus its arrival.",
    "",
    `- **Notified messages (${x.notified.count})**: p50 **${round(x.notified.p50Ms / 1000)} s**, p95 **${round(x.notified.p95Ms / 1000)} s**, max ${round(x.notified.maxMs / 1000)} s — dominated by the emulated notification delay; capture itself adds well under a second.`,
    `- **Dropped notifications (${x.caughtBySweep + x.lost})**: caught by the sweep (one sweep of each affected mailbox after the run): ${x.caughtBySweep} captured, **${x.lost} lost**. In production they wait for their mailbox's hourly slot: for those, the hourly baseline below applies.`,
    `- **Baseline, the hourly sweep without notifications** (computed, not measured: a message waits for its mailbox's next slot, uniform over the hour): mean ${x.baseline.meanMinutes} min, p95 ${x.baseline.p95Minutes} min.`,
    "",
  ];
}
