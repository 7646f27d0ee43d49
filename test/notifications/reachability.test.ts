/** NOTIFICATIONS=on|off|auto, and when auto decides that Microsoft 365 cannot reach PUBLIC_URL. */
import { loadConfig, type Config } from "../../server/config";
import { decideNotifications, isPrivateHost } from "../../server/notifications";

const config = (env: Record<string, string>): Config => {
  const r = loadConfig({ DATA_DIR: "/tmp/x", ...env });
  if (!r.ok) throw new Error(r.problems.join("; "));
  return r.config;
};
const production = {
  ENTRA_CLIENT_ID: "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9",
  ENTRA_CLIENT_SECRET: "secret",
};

test.each([
  ["localhost", true],
  ["app.localhost", true],
  ["127.0.0.1", true],
  ["10.1.2.3", true],
  ["172.20.0.1", true],
  ["192.168.1.10", true],
  ["169.254.169.254", true],
  ["[::1]", true],
  ["[fd00::1]", true],
  ["intranet", true],
  ["printer.local", true],
  ["engage.contoso.test", true],
  ["capture.example", true],
  ["engage.contoso.com", false],
  ["20.30.40.50", false],
])("%s is private: %s", (host, expected) => {
  expect(isPrivateHost(host)).toBe(expected);
});

test("auto: off for a localhost PUBLIC_URL in production, with the reason; on for a public one", () => {
  const local = decideNotifications(config(production));
  expect(local.enabled).toBe(false);
  expect(local.reason).toMatch(/not reachable from Microsoft 365/);
  expect(decideNotifications(config({ ...production, PUBLIC_URL: "https://engage.contoso.com" })).enabled).toBe(true);
});

test("auto: on in demo mode (the emulator runs beside the server); on and off force it", () => {
  expect(decideNotifications(config({})).enabled).toBe(true);
  expect(decideNotifications(config({ ...production, NOTIFICATIONS: "on" })).enabled).toBe(true);
  expect(
    decideNotifications(config({ ...production, PUBLIC_URL: "https://engage.contoso.com", NOTIFICATIONS: "off" }))
      .enabled,
  ).toBe(false);
});

test("bad settings are reported by name", () => {
  const r = loadConfig({ NOTIFICATIONS: "sometimes", NOTIFICATION_SUBSCRIPTION_MINUTES: "20000" });
  expect(r.ok).toBe(false);
  if (!r.ok) {
    expect(r.problems.join("\n")).toMatch(/NOTIFICATIONS must be on, off or auto/);
    expect(r.problems.join("\n")).toMatch(/NOTIFICATION_SUBSCRIPTION_MINUTES must be at most 10080/);
  }
});
