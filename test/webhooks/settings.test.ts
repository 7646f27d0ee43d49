/** The WEBHOOK_* settings: defaults, parsing, and every bad value named. */
import { loadConfig } from "../../server/config";

describe("webhook settings", () => {
  it("defaults: no allowed hosts, 10 s timeout, disable after 5 days", () => {
    const r = loadConfig({});
    if (!r.ok) throw new Error(r.problems.join("; "));
    expect(r.config.webhooks).toEqual({
      allowHosts: [],
      timeoutMs: 10_000,
      disableAfterDays: 5,
      concurrency: 32,
      perEndpoint: 4,
      pollIntervalMs: 1000,
      maxEndpoints: 20,
    });
  });

  it("reads WEBHOOK_ALLOW_HOSTS as lower-case host names", () => {
    const r = loadConfig({ WEBHOOK_ALLOW_HOSTS: " localhost, Receiver.Test ", WEBHOOK_TIMEOUT_SECONDS: "3" });
    if (!r.ok) throw new Error(r.problems.join("; "));
    expect(r.config.webhooks?.allowHosts).toEqual(["localhost", "receiver.test"]);
    expect(r.config.webhooks?.timeoutMs).toBe(3000);
    const cap = loadConfig({ WEBHOOK_ENDPOINTS_PER_ORGANIZATION: "3" });
    if (!cap.ok) throw new Error(cap.problems.join("; "));
    expect(cap.config.webhooks?.maxEndpoints).toBe(3);
  });

  it.each([
    ["WEBHOOK_ALLOW_HOSTS", "https://localhost/", "WEBHOOK_ALLOW_HOSTS must be host names"],
    ["WEBHOOK_ALLOW_HOSTS", "a b", "WEBHOOK_ALLOW_HOSTS must be host names"],
    ["WEBHOOK_TIMEOUT_SECONDS", "0", "WEBHOOK_TIMEOUT_SECONDS must be at least 1"],
    ["WEBHOOK_DISABLE_AFTER_DAYS", "31", "WEBHOOK_DISABLE_AFTER_DAYS must be at most 30"],
    ["WEBHOOK_POLL_INTERVAL_MS", "1e3", "WEBHOOK_POLL_INTERVAL_MS must be a whole number"],
    ["WEBHOOK_ENDPOINTS_PER_ORGANIZATION", "0", "WEBHOOK_ENDPOINTS_PER_ORGANIZATION must be at least 1"],
    ["WEBHOOK_ENDPOINTS_PER_ORGANIZATION", "101", "WEBHOOK_ENDPOINTS_PER_ORGANIZATION must be at most 100"],
  ])("refuses %s=%s", (name, value, message) => {
    const r = loadConfig({ [name]: value });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.join("\n")).toContain(message);
  });
});
