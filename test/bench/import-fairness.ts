/**
 * Fair share during CSV imports: one member of organization A imports 10,000-row CSVs back to back while a
 * member of organization B asks for message status and a monitor polls /healthz, each at a steady 10
 * requests per second (under the per-user rate limit). Reports p50/p99/max latency of both, and the
 * imports' durations and answers. Loopback only; bounded in time (IMPORT_BENCH_SECONDS, default 20).
 * IMPORT_BENCH_IDLE=1 measures the same without imports.
 *
 *   npx tsx test/bench/import-fairness.ts
 *
 * The server is the real HTTPS server (embedded mode, SQLite, scheduler off) in a child process
 * (status-server.ts), so the load generator does not share its event loop.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEmulator } from "../../emulator";
import type { DatasetUser } from "../../emulator/dataset";
import { createOutbound } from "../../server/http/outbound";
import { OTHER_TENANT } from "../connect/harness";
import { forkTs, type BenchChild } from "./child";
import { appDataset, mintApiToken, TENANT } from "./common";

const SECONDS = Number(process.env.IMPORT_BENCH_SECONDS ?? 20);
const ROWS = 10_000;
const PACE_MS = 100;
/** IMPORT_BENCH_IDLE=1: the same measurement with no imports (the baseline). */
const IDLE = process.env.IMPORT_BENCH_IDLE === "1";

const importer: DatasetUser = {
  tenantId: TENANT,
  id: "a1a1a1a1-1111-4222-8333-000000000001",
  displayName: "Importer",
  mail: "importer@contoso.com",
  userPrincipalName: "importer@contoso.com",
};
const neighbour: DatasetUser = {
  tenantId: OTHER_TENANT,
  id: "b2b2b2b2-1111-4222-8333-000000000002",
  displayName: "Neighbour",
  mail: "neighbour@fabrikam.com",
  userPrincipalName: "neighbour@fabrikam.com",
};

const quantile = (sorted: number[], q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] : 0;
const summary = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10) / 10;
  return { n: s.length, p50Ms: r(quantile(s, 0.5)), p99Ms: r(quantile(s, 0.99)), maxMs: r(s[s.length - 1] ?? 0) };
};

function csv(batch: number): string {
  const lines = ["email,name,client"];
  for (let i = 0; i < ROWS; i++)
    lines.push(`person${batch}-${i}@client${i % 200}.example,Person ${i},Client ${i % 200}`);
  return lines.join("\n");
}

async function main(): Promise<void> {
  const dataset = appDataset([importer, neighbour]);
  dataset.tenants = [...(dataset.tenants ?? []), { id: OTHER_TENANT, displayName: "Fabrikam", domain: "fabrikam.com" }];
  const emulator = await startEmulator({ dataset });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-bench-import-"));
  let child: BenchChild | null = null;
  try {
    child = forkTs(path.join(__dirname, "status-server.ts"));
    const { url, caPem } = await child.request<{ url: string; caPem: string }>({
      type: "start",
      emulatorUrl: emulator.url,
      caPem: emulator.caPem,
      dir,
      contacts: [],
      users: [],
    });
    const { fetch } = createOutbound(caPem);
    const tokenA = mintApiToken(emulator.state, importer.id);
    const tokenB = mintApiToken(emulator.state, neighbour.id);
    const statusBody = JSON.stringify({
      internetMessageId: "<bench@client.example>",
      from: { address: "someone@client.example", name: null },
      to: [{ address: neighbour.mail, name: null }],
      cc: [],
      subject: "Hello",
      receivedDateTime: new Date().toISOString(),
      itemClass: "IPM.Note",
    });
    const status = () =>
      fetch(`${url}/api/messages/status`, {
        method: "POST",
        headers: { authorization: `Bearer ${tokenB}`, "content-type": "application/json" },
        body: statusBody,
      });
    const healthz = () => fetch(`${url}/healthz`);
    // Both users exist (first call provisions), and the warm paths are warm.
    for (let i = 0; i < 5; i++) {
      await (await status()).arrayBuffer();
      await (await healthz()).arrayBuffer();
    }
    const files = Array.from({ length: 12 }, (_, i) => csv(i));
    const until = performance.now() + SECONDS * 1000;
    const paced = async (call: () => Promise<Response>, out: number[], codes: Map<number, number>) => {
      while (performance.now() < until) {
        const t0 = performance.now();
        const res = await call();
        await res.arrayBuffer();
        out.push(performance.now() - t0);
        codes.set(res.status, (codes.get(res.status) ?? 0) + 1);
        const wait = PACE_MS - (performance.now() - t0);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    };
    const imports: { ms: number; status: number; code?: string }[] = [];
    const importLoop = async () => {
      for (let i = 0; !IDLE && performance.now() < until; i++) {
        const t0 = performance.now();
        const res = await fetch(`${url}/api/contacts/import`, {
          method: "POST",
          headers: { authorization: `Bearer ${tokenA}`, "content-type": "text/csv" },
          body: files[i % files.length],
        });
        const body = (await res.json()) as { error?: { code: string } };
        imports.push({ ms: Math.round(performance.now() - t0), status: res.status, code: body.error?.code });
      }
    };
    const statusMs: number[] = [];
    const healthzMs: number[] = [];
    const statusCodes = new Map<number, number>();
    const healthCodes = new Map<number, number>();
    await Promise.all([importLoop(), paced(status, statusMs, statusCodes), paced(healthz, healthzMs, healthCodes)]);
    console.log(
      JSON.stringify(
        {
          seconds: SECONDS,
          rowsPerImport: ROWS,
          imports: {
            count: imports.length,
            byStatus: Object.fromEntries(
              imports.map((i) => [
                `${i.status}${i.code ? ` ${i.code}` : ""}`,
                imports.filter((j) => j.status === i.status && j.code === i.code).length,
              ]),
            ),
            ms: summary(imports.map((i) => i.ms)),
          },
          otherOrganizationStatus: { ...summary(statusMs), byStatus: Object.fromEntries(statusCodes) },
          healthz: { ...summary(healthzMs), byStatus: Object.fromEntries(healthCodes) },
        },
        null,
        2,
      ),
    );
  } finally {
    await child?.stop();
    await emulator.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
