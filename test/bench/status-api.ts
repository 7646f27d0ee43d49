/**
 * Item 4 (issue 23's item 3) — POST /api/messages/status under load, against a status-shaped floor on the
 * same server: POST /api/bench/status-floor (status-server.ts, bench only) — the same middleware, the same
 * token check, the same body parse, a fixed answer (one real status answer). The share of the floor is what
 * deciding a status costs; the same server's GET /healthz (TLS, routing, middleware and one `select 1`, no
 * token, no body) is measured too, for comparison with earlier runs.
 *
 * The server runs in a child process (status-server.ts); autocannon runs here, 50 connections, /healthz
 * first. Each endpoint: a 2 s warm-up run (discarded: JIT, statement cache), the server settled (a full
 * GC, half a second of quiet), then the measured run: 1 s of ramp-up (50 TLS handshakes and the load
 * generator's own start, on the same 2 cores), reported apart, then 10 s (quick: 1 s) at 50 established
 * connections, from which throughput and latency percentiles are computed (every response's latency).
 * Three such rounds (quick: one), each /healthz, the floor, then status; the headline figures are the rounds' medians.
 * Every status request carries a real Entra-format access token minted by the emulator for one of 500 users [quick: 100] (round-robin), and the server verifies it in full
 * (signature against the emulator's JWKS — fetched once and cached — issuer, audience, scope, expiry).
 * The per-user rate limit (20 requests/s, burst 60) is NOT raised: the load is spread over enough users
 * that no user exceeds it, and any non-2xx answer is counted and reported.
 * Bodies: 1,000 prepared messages; half from one of the 5,000 [quick: 1,000] tracked contacts, half from an
 * untracked address; the user in To; no stored decision (the prediction path, the heavier one).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { startEmulator } from "../../emulator";
import type { DatasetUser } from "../../emulator/dataset";
import { forkTs, type BenchChild } from "./child";
import { appDataset, log, median, mintApiToken, round, TENANT } from "./common";
import { FLOOR_PATH } from "./status-floor";

export const CONNECTIONS = 50;
const USERS_FULL = 500;
const CONTACTS_FULL = 5000;

/** Steady state at 50 established connections; counts of non-2xx, errors and timeouts cover the whole run. */
export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** The first second of the measured run (connections being opened), not in the figures above. */
  rampUp: { seconds: number; requests: number; p99Ms: number; maxMs: number };
  /** p99 over the whole measured run, ramp-up included (for comparison). */
  wholeRunP99Ms: number;
  /**
   * The server process's CPU time (user + system) over the measured run, ramp-up included, per response:
   * steadier than req/s when neighbours share the cores (absent in reports written before it).
   */
  serverCpuUsPerRequest?: number;
}

export const WARM_UP_SECONDS = 2;
const RAMP_UP_SECONDS = 1;

export interface StatusRound {
  healthz: LoadResult;
  floor?: LoadResult;
  status: LoadResult;
  shareOfCeiling: number;
  shareOfFloor?: number;
}

export interface StatusApiResult {
  connections: number;
  durationSeconds: number;
  users: number;
  contacts: number;
  /** Median of the rounds, figure by figure (counts of requests, non-2xx, errors and timeouts: summed). */
  healthz: LoadResult;
  /** The status-shaped floor: token check, body parse, fixed answer (absent in reports written before it). */
  floor?: LoadResult;
  status: LoadResult;
  /** Status throughput as a share of /healthz's (earlier runs' yardstick). */
  shareOfCeiling: number;
  /** Status throughput as a share of the floor's: the target. */
  shareOfFloor?: number;
  /** Each round: /healthz, the floor, then status, measured as described above. */
  rounds: StatusRound[];
  /** atLeastHalfOfCeiling: reports written before the floor existed. */
  targets: { atLeastHalfOfFloor: boolean; atLeastHalfOfCeiling?: boolean; p99Under25ms: boolean; no429: boolean };
}

/** Rounds per run: this machine's neighbours come and go, so one 10 s window can be unlucky. */
const ROUNDS_FULL = 3;

/** Several rounds' results as one: each figure's median; counts summed; the ramp-up's worst latency is the worst of all. */
function combine(runs: LoadResult[]): LoadResult {
  const med = (f: (r: LoadResult) => number) => round(median(runs.map(f)), 1);
  const sum = (f: (r: LoadResult) => number) => runs.reduce((a, r) => a + f(r), 0);
  return {
    requestsPerSecond: Math.round(median(runs.map((r) => r.requestsPerSecond))),
    p50Ms: med((r) => r.p50Ms),
    p90Ms: med((r) => r.p90Ms),
    p99Ms: med((r) => r.p99Ms),
    maxMs: med((r) => r.maxMs),
    requests: sum((r) => r.requests),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    rampUp: {
      seconds: RAMP_UP_SECONDS,
      requests: sum((r) => r.rampUp.requests),
      p99Ms: med((r) => r.rampUp.p99Ms),
      maxMs: Math.max(...runs.map((r) => r.rampUp.maxMs)),
    },
    wholeRunP99Ms: med((r) => r.wholeRunP99Ms),
    serverCpuUsPerRequest: med((r) => r.serverCpuUsPerRequest ?? 0),
  };
}

/** The q-quantile of sorted latencies (nearest rank), to 0.1 ms. */
function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))], 1);
}

/**
 * One endpoint: warm-up run, settle, then the measured run. Latencies come from autocannon's
 * per-response event (the same figure its own histogram records), split by when the response arrived.
 */
async function measure(child: BenchChild, opts: autocannon.Options, seconds: number): Promise<LoadResult> {
  await autocannon({ ...opts, duration: WARM_UP_SECONDS });
  await child.request({ type: "settle" });
  const rampUp: number[] = [];
  const steady: number[] = [];
  const cpu0 = (await child.request<{ us: number }>({ type: "cpu" })).us;
  const run = autocannon({ ...opts, duration: RAMP_UP_SECONDS + seconds });
  const started = performance.now();
  run.on("response", (_client: unknown, _status: number, _bytes: number, ms: number) => {
    (performance.now() - started < RAMP_UP_SECONDS * 1000 ? rampUp : steady).push(ms);
  });
  const r: autocannon.Result = await run;
  const cpuUs = (await child.request<{ us: number }>({ type: "cpu" })).us - cpu0;
  steady.sort((a, b) => a - b);
  rampUp.sort((a, b) => a - b);
  return {
    requestsPerSecond: Math.round(steady.length / seconds),
    p50Ms: quantile(steady, 0.5),
    p90Ms: quantile(steady, 0.9),
    p99Ms: quantile(steady, 0.99),
    maxMs: quantile(steady, 1),
    requests: steady.length,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    rampUp: {
      seconds: RAMP_UP_SECONDS,
      requests: rampUp.length,
      p99Ms: quantile(rampUp, 0.99),
      maxMs: quantile(rampUp, 1),
    },
    wholeRunP99Ms: quantile(
      [...rampUp, ...steady].sort((a, b) => a - b),
      0.99,
    ),
    serverCpuUsPerRequest: round(cpuUs / Math.max(1, rampUp.length + steady.length), 1),
  };
}

function users(count: number): DatasetUser[] {
  return Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(4, "0");
    return {
      tenantId: TENANT,
      id: `d0000004-${n}-4000-8000-${String(i + 1).padStart(12, "0")}`,
      displayName: `User ${n}`,
      mail: `user${n}@contoso.com`,
      userPrincipalName: `user${n}@contoso.com`,
    };
  });
}

export async function runStatusApi(opts: { quick: boolean }): Promise<StatusApiResult> {
  const duration = opts.quick ? 1 : 10;
  // Quick mode (the smoke test) seeds less: the numbers are not quoted.
  const USERS = opts.quick ? 100 : USERS_FULL;
  const CONTACTS = opts.quick ? 1000 : CONTACTS_FULL;
  const people = users(USERS);
  const contacts = Array.from({ length: CONTACTS }, (_, i) => `contact${i + 1}@client${(i % 250) + 1}.example`);
  const emulator = await startEmulator({ dataset: appDataset(people) });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-bench-api-"));
  let child: BenchChild | null = null;
  try {
    child = forkTs(path.join(__dirname, "status-server.ts"), ["--expose-gc"]);
    log(`status API: seeding ${CONTACTS} contacts and ${USERS} users`);
    const { url, caPem: serverCa } = await child.request<{ url: string; caPem: string }>({
      type: "start",
      emulatorUrl: emulator.url,
      caPem: emulator.caPem,
      dir,
      contacts,
      users: people.map((u) => ({ id: u.id, mail: u.mail, displayName: u.displayName })),
    });
    const tokens = people.map((u) => mintApiToken(emulator.state, u.id));
    const now = Date.now();
    const bodies = Array.from({ length: 1000 }, (_, i) => {
      const user = people[i % USERS];
      return JSON.stringify({
        internetMessageId: `<bench-${i}@client.example>`,
        from:
          i % 2
            ? { address: contacts[(i * 7) % CONTACTS], name: "Client person" }
            : { address: `someone${i}@elsewhere.example`, name: null },
        to: [{ address: user.mail, name: user.displayName }],
        cc: [],
        subject: `Bench message ${i}`,
        receivedDateTime: new Date(now - (i % 600) * 60_000).toISOString(),
        itemClass: "IPM.Note",
      });
    });
    // Request i goes out as user i % USERS with a body of that user (so the user is in To).
    const requestFor = (i: number) => ({
      token: tokens[i % USERS],
      body: bodies[(i % USERS) + USERS * (Math.floor(i / USERS) % 2)],
    });

    // Warm-up: every user's first call provisions nothing new (seeded) but fills the auth memo; JWKS gets cached.
    const warm = await fetchAll(url, serverCa, USERS, requestFor);
    if (warm !== USERS) throw new Error(`status warm-up: ${USERS - warm} requests failed`);
    // The floor answers what the status route answered to a tracked contact's message (the prediction path).
    await child.request({ type: "floorAnswer", answer: await fetchOne(url, serverCa, requestFor(USERS + 1)) });

    const rounds: StatusRound[] = [];
    const roundCount = opts.quick ? 1 : ROUNDS_FULL;
    let counter = 0;
    const postOptions = (route: string): autocannon.Options => ({
      url: `${url}${route}`,
      connections: CONNECTIONS,
      requests: [
        {
          method: "POST",
          setupRequest: (req) => {
            const r = requestFor(counter++);
            return {
              ...req,
              method: "POST",
              body: r.body,
              headers: { ...req.headers, "content-type": "application/json", authorization: `Bearer ${r.token}` },
            };
          },
        },
      ],
    });
    const statusOptions = postOptions("/api/messages/status");
    const floorOptions = postOptions(FLOOR_PATH);
    const each = `${WARM_UP_SECONDS} s warm-up + ${RAMP_UP_SECONDS} s ramp-up + ${duration} s`;
    for (let i = 1; i <= roundCount; i++) {
      log(`status API, round ${i} of ${roundCount}: /healthz, ${each}`);
      const healthz = await measure(child, { url: `${url}/healthz`, connections: CONNECTIONS }, duration);
      log(`status API, round ${i} of ${roundCount}: the status-shaped floor, ${each}`);
      const floor = await measure(child, floorOptions, duration);
      log(`status API, round ${i} of ${roundCount}: POST /api/messages/status, ${each}`);
      const status = await measure(child, statusOptions, duration);
      rounds.push({
        healthz,
        floor,
        status,
        shareOfCeiling: round(status.requestsPerSecond / healthz.requestsPerSecond, 2),
        shareOfFloor: round(status.requestsPerSecond / floor.requestsPerSecond, 2),
      });
    }
    const healthz = combine(rounds.map((r) => r.healthz));
    const floor = combine(rounds.map((r) => r.floor!));
    const st = combine(rounds.map((r) => r.status));
    const share = st.requestsPerSecond / healthz.requestsPerSecond;
    const shareOfFloor = st.requestsPerSecond / floor.requestsPerSecond;
    return {
      connections: CONNECTIONS,
      durationSeconds: duration,
      users: USERS,
      contacts: CONTACTS,
      healthz,
      floor,
      status: st,
      shareOfCeiling: round(share, 2),
      shareOfFloor: round(shareOfFloor, 2),
      rounds,
      targets: {
        atLeastHalfOfFloor: shareOfFloor >= 0.5,
        p99Under25ms: st.p99Ms < 25,
        no429: st.non2xx === 0 && floor.non2xx === 0,
      },
    };
  } finally {
    await child?.stop();
    await emulator.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One status answer (JSON), for the floor to repeat. */
async function fetchOne(url: string, caPem: string, r: { token: string; body: string }): Promise<object> {
  const { createOutbound } = await import("../../server/http/outbound");
  const out = createOutbound(caPem);
  try {
    const res = await out.fetch(`${url}/api/messages/status`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${r.token}` },
      body: r.body,
    });
    if (res.status !== 200) throw new Error(`status answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as object;
  } finally {
    await out.close();
  }
}

async function fetchAll(
  url: string,
  caPem: string,
  n: number,
  requestFor: (i: number) => { token: string; body: string },
): Promise<number> {
  const { createOutbound } = await import("../../server/http/outbound");
  const out = createOutbound(caPem);
  let ok = 0;
  try {
    for (let i = 0; i < n; i += 25) {
      const res = await Promise.all(
        Array.from({ length: Math.min(25, n - i) }, async (_, k) => {
          const r = requestFor(i + k);
          const a = await out.fetch(`${url}/api/messages/status`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${r.token}` },
            body: r.body,
          });
          await a.arrayBuffer();
          return a.status === 200;
        }),
      );
      ok += res.filter(Boolean).length;
    }
  } finally {
    await out.close();
  }
  return ok;
}
