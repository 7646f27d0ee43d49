/**
 * The HTTP control API under /_emulator/: each endpoint does what the in-process state call does, and
 * malformed requests get 400/404/409 with a JSON error.
 */
import { ManualClock } from "../../server/clock";
import { SAMPLE_USERS } from "../../emulator/sample-data";
import { type TestEmulator, startTestEmulator } from "./helpers";

const NEW_TENANT = "22222222-2222-4222-8222-222222222222";
const NEW_USER = {
  tenantId: NEW_TENANT,
  id: "cccccccc-0000-4000-8000-000000000003",
  displayName: "Cy Ray",
  mail: "cy@fabrikam.com",
  userPrincipalName: "cy@fabrikam.com",
};

describe("emulator control API", () => {
  let t: TestEmulator;
  const clock = new ManualClock("2026-03-02T09:00:00Z");

  beforeAll(async () => {
    t = await startTestEmulator({ clock });
  });
  afterAll(async () => {
    await t.close();
  });

  async function call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await t.outbound.fetch(`${t.emulator.url}/_emulator${path}`, {
      method,
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  it("reports health and a summary with app secrets masked", async () => {
    expect(await call("GET", "/health")).toEqual({ status: 200, json: { ok: true, url: t.emulator.url } });
    const { status, json } = await call("GET", "/state/");
    expect(status).toBe(200);
    expect(json.now).toBe("2026-03-02T09:00:00.000Z");
    expect(
      (json.apps as { clientSecret?: string }[]).every((a) => a.clientSecret === undefined || a.clientSecret === "***"),
    ).toBe(true);
    expect((json.users as { id: string; grant: unknown }[]).find((u) => u.id === SAMPLE_USERS.ada)?.grant).toBe(
      "active",
    );
  });

  it("adds a tenant, a user, a folder and a message, and lists the mailbox", async () => {
    expect((await call("POST", "/tenants", { id: NEW_TENANT, domain: "fabrikam.com" })).status).toBe(201);
    expect((await call("POST", "/users", NEW_USER)).json).toMatchObject({ id: NEW_USER.id, mailboxEnabled: true });
    expect(
      (await call("POST", `/users/${NEW_USER.id}/folders`, { key: "deals", displayName: "Deals" })).json,
    ).toMatchObject({ key: "deals", displayName: "Deals" });
    expect(
      (
        await call("POST", `/users/${encodeURIComponent(NEW_USER.id)}/messages`, {
          folder: "deals",
          subject: "via control",
        })
      ).status,
    ).toBe(201);
    const listed = await t.outbound.fetch(`${t.emulator.url}/_emulator/users/${NEW_USER.id}/messages`);
    expect(((await listed.json()) as { subject: string }[]).map((m) => m.subject)).toEqual(["via control"]);
    expect(t.emulator.state.findTenant("fabrikam")?.id).toBe(NEW_TENANT);
  });

  it("revokes and restores a grant, disables a mailbox, sets latency and resets counts", async () => {
    expect(await call("POST", `/users/${NEW_USER.id}/revoke`, { aadsts: 65001 })).toEqual({
      status: 200,
      json: { ok: true },
    });
    expect(t.emulator.state.revocations.get(NEW_USER.id)?.code).toBe(65001);
    expect((await call("POST", `/users/${NEW_USER.id}/restore`)).status).toBe(200);
    expect(t.emulator.state.revocations.has(NEW_USER.id)).toBe(false);
    await call("POST", `/users/${NEW_USER.id}/mailbox`, { enabled: false });
    expect(t.emulator.state.getUser(NEW_USER.id)?.mailboxEnabled).toBe(false);
    await call("POST", "/latency", { ms: 0 });
    expect(t.emulator.state.latencyMs).toBe(0);
    t.emulator.state.count(NEW_USER.id, "list");
    expect((await call("POST", "/counts/reset")).status).toBe(200);
    expect((await call("GET", `/users/${NEW_USER.id}/counts`)).json).toMatchObject({ total: 0 });
  });

  it("mints tokens, injects faults by RegExp, and moves the clock", async () => {
    const minted = await call("POST", "/tokens", {
      userId: SAMPLE_USERS.ada,
      clientId: "x",
      audience: "https://graph.microsoft.com",
      scopes: ["Mail.Read"],
    });
    expect(minted.status).toBe(201);
    expect(String(minted.json.access_token).split(".")).toHaveLength(3);
    const fault = await call("POST", "/faults", { status: 504, match: { pathRegex: "^/me$" } });
    expect(fault.status).toBe(201);
    expect(t.emulator.state.takeFault({ area: "graph", path: "/me", method: "GET", userId: null })?.status).toBe(504);
    expect(t.emulator.state.takeFault({ area: "graph", path: "/me/messages", method: "GET", userId: null })).toBeNull();
    expect((await call("DELETE", "/faults")).status).toBe(200);
    expect(t.emulator.state.takeFault({ area: "graph", path: "/me", method: "GET", userId: null })).toBeNull();
    expect(await call("POST", "/clock", { advanceMs: 60_000 })).toEqual({
      status: 200,
      json: { now: "2026-03-02T09:01:00.000Z" },
    });
    expect((await call("POST", "/clock", { now: "2026-03-03T00:00:00Z" })).json).toEqual({
      now: "2026-03-03T00:00:00.000Z",
    });
    expect((await call("POST", "/clock", {})).status).toBe(409);
  });

  it("answers unknown endpoints 404, malformed JSON and failed calls 400", async () => {
    expect(await call("GET", "/nothing")).toEqual({
      status: 404,
      json: { error: "unknown control endpoint GET /nothing" },
    });
    expect((await call("GET", `/users/${NEW_USER.id}/folders`)).status).toBe(404);
    expect(await call("POST", "/users", "{not json")).toEqual({ status: 400, json: { error: "invalid JSON" } });
    expect(await call("POST", "/users/nobody/revoke", {})).toEqual({
      status: 400,
      json: { error: "Unknown user nobody" },
    });
    expect((await call("POST", "/sync-states/lifetime", { ms: -1 })).status).toBe(400);
  });
});
