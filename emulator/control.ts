/**
 * HTTP control API under /_emulator/ — the same powers as `emulator.state` for processes that do
 * not share memory with the emulator (the demo launcher, benchmarks, `npm run emulator`).
 * Unauthenticated by design: the emulator only listens on 127.0.0.1 and is a test tool.
 */
import type { EmulatorDataset } from "./dataset";
import { type HttpContext, sendJson } from "./http";
import type { NotificationFaults, NotifierTimings } from "./notifications/notifier";
import type { AddMessageInput, EmulatorState, FaultRule, MintOptions, RevocationCode } from "./state";
import type { LifecycleEvent } from "./state/subscriptions";

type Body = Record<string, unknown>;
/** A control endpoint's answer: JSON body and status (200 unless given). */
type Answer = { body: unknown; status?: number };

const OK: Answer = { body: { ok: true } };

export class ControlApi {
  constructor(private readonly state: EmulatorState) {}

  async handle(ctx: HttpContext): Promise<void> {
    const path = ctx.url.pathname.slice("/_emulator".length).replace(/\/+$/, "");
    const m = ctx.method;
    let body: Body;
    try {
      body = ctx.body.length ? (JSON.parse(ctx.body.toString("utf8")) as Body) : {};
    } catch {
      return void sendJson(ctx.res, 400, { error: "invalid JSON" });
    }
    let answer: Answer;
    if (m === "POST" && path === "/notifications/flush") {
      await this.state.flushNotifications();
      return void sendJson(ctx.res, 200, this.notifications());
    }
    try {
      const user = /^\/users\/([^/]+)(\/.*)$/.exec(path);
      const sub = /^\/subscriptions\/([^/]+)\/lifecycle$/.exec(path);
      const app = /^\/apps\/([^/]+)\/app-roles$/.exec(path);
      answer = (user && this.userEndpoint(user[1], user[2], m, body)) ??
        (sub && m === "POST" ? this.lifecycle(decodeURIComponent(sub[1]), body) : null) ??
        (app && m === "PUT" ? this.clientAppRoles(decodeURIComponent(app[1]), body) : null) ??
        this.emulatorEndpoint(path, m, body) ?? {
          body: { error: `unknown control endpoint ${m} ${path}` },
          status: 404,
        };
    } catch (e) {
      answer = { body: { error: e instanceof Error ? e.message : String(e) }, status: 400 };
    }
    sendJson(ctx.res, answer.status ?? 200, answer.body);
  }

  /** `/users/{id}/…`: one user's mailbox, grant and app roles; null when no such endpoint. */
  private userEndpoint(rawId: string, sub: string, m: string, body: Body): Answer | null {
    const st = this.state;
    const uid = () => decodeURIComponent(rawId);
    if (sub === "/folders" && m === "POST") return { body: st.addFolder(uid(), body as never), status: 201 };
    if (sub === "/messages") {
      const id = uid();
      if (m === "POST") return { body: st.addMessage(id, body as AddMessageInput), status: 201 };
      if (m === "GET") return { body: st.getMessages(id) };
    }
    if (sub === "/counts" && m === "GET") return { body: st.requestCounts(uid()) };
    if (sub === "/revoke" && m === "POST") {
      st.revokeGrant(uid(), Number(body.aadsts ?? 700082) as RevocationCode);
      return OK;
    }
    if (sub === "/restore" && m === "POST") {
      st.restoreGrant(uid());
      return OK;
    }
    if (sub === "/mailbox" && m === "POST") {
      st.setMailboxEnabled(uid(), body.enabled !== false);
      return OK;
    }
    if (sub === "/app-roles" && m === "PUT") {
      if (
        typeof body.resourceAppId !== "string" ||
        !Array.isArray(body.values) ||
        !body.values.every((v) => typeof v === "string")
      ) {
        return { body: { error: "send { resourceAppId: string, values: string[] }" }, status: 400 };
      }
      st.setAppRoles(uid(), body.resourceAppId, body.values as string[]);
      return OK;
    }
    if (sub === "/sync-states/invalidate" && m === "POST")
      return { body: { invalidated: st.invalidateSyncStates(uid()) } };
    return null;
  }

  /** Endpoints about the whole emulator: state, dataset, directory, faults, tokens, latency, clock; null when none. */
  private emulatorEndpoint(path: string, m: string, body: Body): Answer | null {
    const st = this.state;
    switch (`${m} ${path}`) {
      case "GET /health":
        return { body: { ok: true, url: st.url } };
      case "GET /state":
        return { body: this.summary() };
      case "POST /dataset":
        st.loadDataset(body as EmulatorDataset);
        return { body: { ok: true }, status: 201 };
      case "POST /tenants":
        return { body: st.addTenant(body as never), status: 201 };
      case "POST /apps":
        return { body: st.addApp(body as never), status: 201 };
      case "POST /users":
        return { body: st.addUser(body as never), status: 201 };
      case "POST /sync-states/lifetime":
        if (typeof body.ms !== "number" || !(body.ms > 0))
          return { body: { error: "ms must be a positive number" }, status: 400 };
        st.setSyncStateLifetime(body.ms);
        return { body: { ok: true, syncStateLifetimeMs: st.syncStateLifetimeMs } };
      case "POST /counts/reset":
        st.resetCounts();
        return OK;
      case "POST /faults":
        return { body: { id: st.injectFault(faultRule(body)) }, status: 201 };
      case "DELETE /faults":
        st.clearFaults();
        return OK;
      case "POST /tokens":
        return { body: { access_token: st.mintAccessToken(body as unknown as MintOptions) }, status: 201 };
      case "POST /latency":
        st.setLatency(Number(body.ms ?? 0));
        return OK;
      case "POST /clock":
        return this.setClock(body);
      case "POST /search/index-lag":
        if (typeof body.ms !== "number" || !(body.ms >= 0))
          return { body: { error: "ms must be a non-negative number" }, status: 400 };
        st.setSearchIndexLag(body.ms);
        return { body: { ok: true, searchIndexLagMs: st.searchIndexLagMs } };
      case "GET /subscriptions":
        return { body: { value: st.subscriptions.list() } };
      case "GET /notifications":
        return { body: this.notifications() };
      case "POST /notifications/faults":
        return { body: st.notifier.setFaults(body as Partial<NotificationFaults>) };
      case "DELETE /notifications/faults":
        st.notifier.resetFaults();
        return { body: st.notifier.faults };
      case "POST /notifications/timings":
        st.notifier.timings = { ...st.notifier.timings, ...(body as Partial<NotifierTimings>) };
        return { body: st.notifier.timings };
      case "POST /notifications/ca":
        if (typeof body.pem !== "string" || !body.pem.includes("BEGIN CERTIFICATE"))
          return { body: { error: "send { pem: <CA certificate PEM> }" }, status: 400 };
        st.notifier.trustedCas.push(body.pem);
        return OK;
      default:
        return null;
    }
  }

  /** `PUT /apps/{clientId}/app-roles {resourceAppId, values}`: the app roles a client app holds on an API app. */
  private clientAppRoles(clientId: string, body: Body): Answer {
    if (
      typeof body.resourceAppId !== "string" ||
      !Array.isArray(body.values) ||
      !body.values.every((v) => typeof v === "string")
    ) {
      return { body: { error: "send { resourceAppId: string, values: string[] }" }, status: 400 };
    }
    this.state.setClientAppRoles(clientId, body.resourceAppId, body.values as string[]);
    return OK;
  }

  /** `POST /subscriptions/{id}/lifecycle {event}`: send that lifecycle notification now. */
  private lifecycle(id: string, body: Body): Answer {
    const s = this.state.triggerLifecycle(id, String(body.event) as LifecycleEvent);
    return { body: { ok: true, subscriptionId: s.id, event: body.event }, status: 202 };
  }

  private notifications(): unknown {
    const n = this.state.notifier;
    return { pending: n.pending, stats: n.stats, faults: n.faults, timings: n.timings, log: n.log.slice(-100) };
  }

  private summary(): unknown {
    const st = this.state;
    return {
      url: st.url,
      tenants: [...st.tenants.values()],
      apps: [...st.apps.values()].map((a) => ({ ...a, clientSecret: a.clientSecret ? "***" : undefined })),
      users: [...st.users.values()].map((u) => ({
        ...u,
        messageCount: st.getMessages(u.id).length,
        grant: st.revocations.get(u.id)?.code ?? "active",
      })),
      latencyMs: st.latencyMs,
      syncStateLifetimeMs: st.syncStateLifetimeMs,
      now: st.now().toISOString(),
    };
  }

  /** Move the emulator's clock, when it runs on a settable one (tests' and the demo's). */
  private setClock(body: Body): Answer {
    const st = this.state;
    const clock = st.clock as { set?: (t: Date | string) => void; advance?: (ms: number) => void };
    if (typeof body.advanceMs === "number" && clock.advance) clock.advance(body.advanceMs);
    else if (typeof body.now === "string" && clock.set) clock.set(body.now);
    else return { body: { error: "the emulator runs on a clock that cannot be set" }, status: 409 };
    return { body: { now: st.now().toISOString() } };
  }
}

/** A fault rule sent as JSON: `match.pathRegex` stands for a RegExp path. */
function faultRule(body: Body): FaultRule {
  const rule = body as FaultRule & { match?: { pathRegex?: string } };
  if (rule.match?.pathRegex) rule.match = { ...rule.match, path: new RegExp(rule.match.pathRegex) };
  return rule;
}
