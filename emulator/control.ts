/**
 * HTTP control API under /_emulator/ — the same powers as `emulator.state` for processes that do
 * not share memory with the emulator (the demo launcher, benchmarks, `npm run emulator`).
 * Unauthenticated by design: the emulator only listens on 127.0.0.1 and is a test tool.
 */
import type { EmulatorDataset } from "./dataset";
import { type HttpContext, sendJson } from "./http";
import type { AddMessageInput, EmulatorState, FaultRule, MintOptions, RevocationCode } from "./state";

export class ControlApi {
  constructor(private readonly state: EmulatorState) {}

  async handle(ctx: HttpContext): Promise<void> {
    const st = this.state;
    const path = ctx.url.pathname.slice("/_emulator".length).replace(/\/+$/, "");
    const m = ctx.method;
    let body: Record<string, unknown>;
    try {
      body = ctx.body.length ? (JSON.parse(ctx.body.toString("utf8")) as Record<string, unknown>) : {};
    } catch {
      return void sendJson(ctx.res, 400, { error: "invalid JSON" });
    }
    const reply = (v: unknown, status = 200) => void sendJson(ctx.res, status, v);
    try {
      let x: RegExpExecArray | null;
      if (path === "/health" && m === "GET") return reply({ ok: true, url: st.url });
      if (path === "/state" && m === "GET") {
        return reply({
          url: st.url,
          tenants: [...st.tenants.values()],
          apps: [...st.apps.values()].map((a) => ({ ...a, clientSecret: a.clientSecret ? "***" : undefined })),
          users: [...st.users.values()].map((u) => ({ ...u, messageCount: st.getMessages(u.id).length, grant: st.revocations.get(u.id)?.code ?? "active" })),
          latencyMs: st.latencyMs,
          syncStateLifetimeMs: st.syncStateLifetimeMs,
          now: st.now().toISOString(),
        });
      }
      if (path === "/dataset" && m === "POST") {
        st.loadDataset(body as EmulatorDataset);
        return reply({ ok: true }, 201);
      }
      if (path === "/tenants" && m === "POST") return reply(st.addTenant(body as never), 201);
      if (path === "/apps" && m === "POST") return reply(st.addApp(body as never), 201);
      if (path === "/users" && m === "POST") return reply(st.addUser(body as never), 201);
      if ((x = /^\/users\/([^/]+)\/folders$/.exec(path)) && m === "POST") return reply(st.addFolder(decodeURIComponent(x[1]), body as never), 201);
      if ((x = /^\/users\/([^/]+)\/messages$/.exec(path))) {
        const uid = decodeURIComponent(x[1]);
        if (m === "POST") return reply(st.addMessage(uid, body as AddMessageInput), 201);
        if (m === "GET") return reply(st.getMessages(uid));
      }
      if ((x = /^\/users\/([^/]+)\/counts$/.exec(path)) && m === "GET") return reply(st.requestCounts(decodeURIComponent(x[1])));
      if ((x = /^\/users\/([^/]+)\/revoke$/.exec(path)) && m === "POST") {
        st.revokeGrant(decodeURIComponent(x[1]), Number(body.aadsts ?? 700082) as RevocationCode);
        return reply({ ok: true });
      }
      if ((x = /^\/users\/([^/]+)\/restore$/.exec(path)) && m === "POST") {
        st.restoreGrant(decodeURIComponent(x[1]));
        return reply({ ok: true });
      }
      if ((x = /^\/users\/([^/]+)\/mailbox$/.exec(path)) && m === "POST") {
        st.setMailboxEnabled(decodeURIComponent(x[1]), body.enabled !== false);
        return reply({ ok: true });
      }
      if ((x = /^\/users\/([^/]+)\/app-roles$/.exec(path)) && m === "PUT") {
        if (typeof body.resourceAppId !== "string" || !Array.isArray(body.values) || !body.values.every((v) => typeof v === "string")) {
          return reply({ error: "send { resourceAppId: string, values: string[] }" }, 400);
        }
        st.setAppRoles(decodeURIComponent(x[1]), body.resourceAppId, body.values as string[]);
        return reply({ ok: true });
      }
      if ((x = /^\/users\/([^/]+)\/sync-states\/invalidate$/.exec(path)) && m === "POST") {
        return reply({ invalidated: st.invalidateSyncStates(decodeURIComponent(x[1])) });
      }
      if (path === "/sync-states/lifetime" && m === "POST") {
        if (typeof body.ms !== "number" || !(body.ms > 0)) return reply({ error: "ms must be a positive number" }, 400);
        st.setSyncStateLifetime(body.ms);
        return reply({ ok: true, syncStateLifetimeMs: st.syncStateLifetimeMs });
      }
      if (path === "/counts/reset" && m === "POST") {
        st.resetCounts();
        return reply({ ok: true });
      }
      if (path === "/faults" && m === "POST") {
        const rule = body as FaultRule & { match?: { pathRegex?: string } };
        if (rule.match?.pathRegex) rule.match = { ...rule.match, path: new RegExp(rule.match.pathRegex) };
        return reply({ id: st.injectFault(rule) }, 201);
      }
      if (path === "/faults" && m === "DELETE") {
        st.clearFaults();
        return reply({ ok: true });
      }
      if (path === "/tokens" && m === "POST") return reply({ access_token: st.mintAccessToken(body as unknown as MintOptions) }, 201);
      if (path === "/latency" && m === "POST") {
        st.setLatency(Number(body.ms ?? 0));
        return reply({ ok: true });
      }
      if (path === "/clock" && m === "POST") {
        const clock = st.clock as { set?: (t: Date | string) => void; advance?: (ms: number) => void };
        if (typeof body.advanceMs === "number" && clock.advance) clock.advance(body.advanceMs);
        else if (typeof body.now === "string" && clock.set) clock.set(body.now);
        else return reply({ error: "the emulator runs on a clock that cannot be set" }, 409);
        return reply({ now: st.now().toISOString() });
      }
      return reply({ error: `unknown control endpoint ${m} ${path}` }, 404);
    } catch (e) {
      return reply({ error: e instanceof Error ? e.message : String(e) }, 400);
    }
  }
}
