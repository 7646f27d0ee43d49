/**
 * Demo mode's first steps, done the way a user would, through the backend's public API:
 * create the demo clients, contacts and blocklist (once: demo-state.ts says whether this database was seeded),
 * then connect each demo user's mailbox through the real connect flow (authorize at the emulator, which
 * approves a `login_hint` user at once, then /auth/callback) and wait for the first sweeps. A mailbox its
 * user disconnected stays disconnected. The only shortcut is where the API tokens come from: a person's pane
 * would get them by signing in; here the emulator's control API mints them for the demo users.
 */
import type { ClientView, MeResponse, SweepView } from "../../shared/api/contract";

export interface DemoUser {
  id: string;
  mail: string;
  displayName: string;
}

export interface BootstrapInput {
  backendUrl: string;
  emulatorUrl: string;
  clientId: string;
  users: DemoUser[];
  crm: { clients: { name: string; contacts: { email: string; name: string }[] }[]; blocklist: string[] };
  fetch: typeof globalThis.fetch;
  log: (line: string) => void;
  /** This database holds the demo organization already: keep what people did with it. */
  seeded?: boolean;
  /** Called once the CRM data is created (demo-state.ts marks the database seeded). */
  onSeeded?: () => void;
}

export interface BootstrapResult {
  sweeps: { user: DemoUser; sweep: SweepView | null }[];
  /** Users whose mailbox stays disconnected, as they left it. */
  keptDisconnected: DemoUser[];
}

async function json<T>(res: Response, what: string): Promise<T> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : {}) as T;
}

export async function bootstrapDemo(input: BootstrapInput): Promise<BootstrapResult> {
  const { fetch } = input;
  const tokenFor = async (user: DemoUser) => {
    const res = await fetch(`${input.emulatorUrl}/_emulator/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        userId: user.id,
        clientId: input.clientId,
        audience: input.clientId,
        scopes: ["access_as_user"],
      }),
    });
    const body = await json<{ token?: string; accessToken?: string; access_token?: string }>(
      res,
      "minting a demo token",
    );
    const token = body.token ?? body.accessToken ?? body.access_token;
    if (!token) throw new Error("the emulator minted no token");
    return token;
  };
  const api =
    (token: string) =>
    async <T>(
      method: string,
      path: string,
      body?: unknown,
      okStatuses: number[] = [],
    ): Promise<{ status: number; body: T }> => {
      const res = await fetch(`${input.backendUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (okStatuses.includes(res.status))
        return { status: res.status, body: (await res.text().then((t) => (t ? JSON.parse(t) : {}))) as T };
      return { status: res.status, body: await json<T>(res, `${method} ${path}`) };
    };

  if (input.seeded) input.log("  CRM: kept from the previous start (npm start -- --fresh-demo for a fresh demo)");
  else await seedCrm(input, api(await tokenFor(input.users[0])));

  // The emulator starts empty of grants each time: connect again every mailbox its user has not disconnected.
  const sweeps: BootstrapResult["sweeps"] = [];
  const keptDisconnected: DemoUser[] = [];
  for (const user of input.users) {
    const me = api(await tokenFor(user));
    const { body: who } = await me<MeResponse>("GET", "/api/me");
    if (input.seeded && who.connection.status === "disconnected") {
      keptDisconnected.push(user);
      input.log(`  ${user.displayName} <${user.mail}>: disconnected (kept; connect again from the pane)`);
      continue;
    }
    sweeps.push({ user, sweep: await connectAndWait(input, user, me) });
  }
  return { sweeps, keptDisconnected };
}

type ApiCall = <T>(
  method: string,
  path: string,
  body?: unknown,
  okStatuses?: number[],
) => Promise<{ status: number; body: T }>;

/** The demo's clients, contacts and organization blocklist (duplicates answer 409 and are skipped). */
async function seedCrm(input: BootstrapInput, call: ApiCall): Promise<void> {
  const existing = await call<{ items: ClientView[] }>("GET", "/api/clients");
  const byName = new Map(existing.body.items.map((c) => [c.name, c.id]));
  let created = 0;
  for (const client of input.crm.clients) {
    let id = byName.get(client.name);
    if (!id) {
      id = (await call<ClientView>("POST", "/api/clients", { name: client.name })).body.id;
      byName.set(client.name, id);
    }
    for (const contact of client.contacts) {
      const r = await call("POST", "/api/contacts", { email: contact.email, name: contact.name, clientId: id }, [409]);
      if (r.status !== 409) created++;
    }
  }
  for (const entry of input.crm.blocklist)
    await call("POST", "/api/blocklist", { entry, scope: "organization" }, [409]);
  input.log(
    `  CRM: ${input.crm.clients.length} clients, ${created} new contacts, blocklist ${input.crm.blocklist.join(", ")}`,
  );
  input.onSeeded?.();
}

/** The real connect flow for one demo user, then the first sweep it starts (bounded wait). */
async function connectAndWait(input: BootstrapInput, user: DemoUser, me: ApiCall): Promise<SweepView | null> {
  const { fetch } = input;
  const started = Date.now();
  const { body } = await me<{ authorizeUrl: string }>("POST", "/api/connection");
  const authorize = await fetch(body.authorizeUrl, { redirect: "manual" });
  const location = authorize.headers.get("location");
  if (!location) throw new Error(`the emulator did not approve ${user.mail} (HTTP ${authorize.status})`);
  const callback = await fetch(location, { redirect: "manual" });
  if (callback.status !== 200) throw new Error(`connecting ${user.mail} failed: HTTP ${callback.status}`);
  // The first sweep starts on connect; wait for it (bounded).
  let sweep: SweepView | null = null;
  for (let i = 0; i < 120; i++) {
    const list = await me<{ items: SweepView[] } | SweepView[]>("GET", "/api/sweeps");
    const items = Array.isArray(list.body) ? list.body : list.body.items;
    sweep = items.find((s) => Date.parse(s.startedAt) >= started - 1000 && s.status !== "running") ?? null;
    if (sweep) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  input.log(
    sweep
      ? `  ${user.displayName} <${user.mail}>: connected; first sweep ${sweep.status}: ${sweep.listed} listed, ${sweep.captured} captured, ${sweep.excluded} excluded`
      : `  ${user.displayName} <${user.mail}>: connected; first sweep still running`,
  );
  return sweep;
}
