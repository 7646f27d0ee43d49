/**
 * Benchmarks are not tests: this only checks that `npm run bench -- --quick` runs to the end
 * and writes a report with every section — into a temporary directory, never over docs/.
 * Item 3 runs when TEST_DATABASE_URL (or BENCH_DATABASE_URL) is set and must then say "skipped" only
 * when it is not; item 5's timing is skipped without Chromium.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..");
jest.setTimeout(180_000);

test("npm run bench -- --quick completes and writes every section", async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "ec-bench-smoke-"));
  try {
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn("npm", ["run", "--silent", "bench", "--", "--quick", "--out", out], {
        cwd: ROOT,
        env: process.env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (d) => (output += d));
      child.stderr.on("data", (d) => (output += d));
      child.on("close", (c) => resolve({ code: c, output }));
    });
    if (code !== 0) throw new Error(`npm run bench -- --quick exited ${code}:\n${output}`);

    const report = JSON.parse(fs.readFileSync(path.join(out, "benchmarks.json"), "utf8"));
    expect(report.quick).toBe(true);
    expect(report.machine).toMatchObject({ cores: expect.any(Number), node: process.version });
    for (const s of [
      "traffic",
      "throughput",
      "distributed",
      "statusApi",
      "pane",
      "history",
      "ruleChange",
      "webhooks",
      "freshness",
    ])
      expect({ section: s, ok: report[s].ok }).toEqual({ section: s, ok: true });

    // Each figure exists and is a measurement, not a placeholder.
    const [p200, p2000] = report.traffic.result.profiles;
    expect([p200.messagesPerDay, p2000.messagesPerDay]).toEqual([200, 2000]);
    for (const p of [p200, p2000]) {
      expect(p.product.requestsPerMailboxHour).toBeGreaterThan(0);
      expect(p.baseline.bytesPerMailboxHour).toBeGreaterThan(0);
      expect(p.bytesRatio).toBeCloseTo(p.baseline.bytesPerMailboxHour / p.product.bytesPerMailboxHour, 0);
    }
    const hourly = report.throughput.result.rounds[1];
    expect(hourly.failed).toBe(0);
    expect(hourly.sweeps).toBe(50);
    expect(report.throughput.result.memory.map((m: { mailboxes: number }) => m.mailboxes)).toEqual([20, 50, 100]);
    if (process.env.TEST_DATABASE_URL || process.env.BENCH_DATABASE_URL) {
      expect(report.distributed.result.skipped).toBe(false);
      for (const r of report.distributed.result.runs) expect(r.exactlyOnce).toBe(true);
    } else {
      expect(report.distributed.result).toMatchObject({ skipped: true, reason: expect.stringMatching(/PostgreSQL/) });
    }
    expect(report.statusApi.result.status.requests).toBeGreaterThan(0);
    expect(report.statusApi.result.status.non2xx).toBe(0);
    expect(report.statusApi.result.healthz.requestsPerSecond).toBeGreaterThan(0);
    expect(report.pane.result.sizes.paneGzip).toBeGreaterThan(0);
    expect(report.pane.result.sizes.paneWithMsalGzip).toBeGreaterThan(report.pane.result.sizes.paneGzip);

    const md = fs.readFileSync(path.join(out, "benchmarks.md"), "utf8");
    for (const heading of [
      "## Machine",
      "## How to rerun",
      "## Summary",
      "## 1. Graph traffic",
      "## 2. Sweep throughput",
      "## 3. Distributed",
      "## 4. Status API",
      "## 5. Task pane",
    ])
      expect(md).toContain(heading);
    expect(md).toContain("Quick mode");
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
