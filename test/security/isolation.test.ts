/**
 * Organization isolation across every route of the OpenAPI description. Two tenants of the
 * emulator, each with a connected user. Organization A gets one of everything (client, contacts,
 * blocklist entries, a sweep with its capture decisions and engagement, a sent mail); then user B
 * of organization B tries every operation on A's ids and data: 404 by id, absent from lists, no
 * status or existence leaks, and A's rows unchanged at the end.
 *
 * The table is keyed by the OpenAPI operations: a route added to the description without an
 * isolation check here fails "every operation has a check".
 */
import { ADMIN_APP_ROLE } from "../../shared/api/contract";
import { openApiDocument } from "../../server/api/api-document";
import { createApp } from "../../server/app";
import { createMailService } from "../../server/mail/send";
import { createTokenVerifier } from "../../server/identity/token-verifier";
import { CLIENT_ID, EVE, OTHER_TENANT, dataset } from "../connect/harness";
import { DANA, LEE, startSweepHarness, type SweepHarness } from "../sweep/harness";

jest.setTimeout(60_000);

const TENANT_A = DANA.tenantId;
const TENANT_B = OTHER_TENANT;

let s: SweepHarness;
let app: ReturnType<typeof createApp>;

interface Answer {
  status: number;
  body: unknown;
  text: string;
  headers: Headers;
}
type Who = "A" | "A2" | "B" | "anonymous";
const OID: Record<Exclude<Who, "anonymous">, string> = { A: DANA.id, A2: LEE.id, B: EVE.id };

async function call(
  who: Who,
  method: string,
  path: string,
  opts: { body?: unknown; csv?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (who !== "anonymous") headers.authorization = `Bearer ${s.apiToken(OID[who])}`;
  let body: string | undefined;
  if (opts.csv !== undefined) {
    body = opts.csv;
    headers["content-type"] = "text/csv";
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] = "application/json";
  }
  const res = await app.request(path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

const items = (a: Answer) => ((a.body as { items?: { id: string }[] }).items ?? []).map((i) => i.id);
const code = (a: Answer) => (a.body as { error?: { code?: string } } | null)?.error?.code;

/** What organization A has; every id and secret word B must never see. */
const A = {
  clientId: "",
  clientName: "Acme Secret Holdings",
  contactId: "",
  contactEmail: "pat@acme-secret.example",
  silentContactEmail: "sam@acme-secret.example",
  orgBlockId: "",
  personalBlockId: "",
  engagementId: "",
  sweepId: "",
  internetMessageId: "<isolation-a-1@acme-secret.example>",
  restItemId: "",
  subject: "Quarterly numbers for Acme (confidential)",
  idempotencyKey: "shared-idempotency-key-1",
  webhookId: "",
  webhookUrl: "https://crm.acme-secret.example/hooks",
};
let bUserId = "";

/** A's rows in every organization-scoped table (to prove nothing of A's changed). */
async function snapshotA() {
  const db = s.h.db;
  const org = (
    t:
      | "clients"
      | "contacts"
      | "engagements"
      | "engagementContacts"
      | "engagementMailboxes"
      | "captureDecisions"
      | "sweeps"
      | "blocklistEntries"
      | "mailboxConnections"
      | "users",
  ) => db.selectFrom(t).selectAll().where("organizationId", "=", TENANT_A).execute();
  const [clients, contacts, engagements, links, mailboxes, decisions, sweeps, blocks, connections, users] =
    await Promise.all([
      org("clients"),
      org("contacts"),
      org("engagements"),
      org("engagementContacts"),
      org("engagementMailboxes"),
      org("captureDecisions"),
      org("sweeps"),
      org("blocklistEntries"),
      org("mailboxConnections"),
      org("users"),
    ]);
  const sort = <T>(rows: T[]) => rows.map((r) => JSON.stringify(r)).sort();
  return {
    clients: sort(clients),
    contacts: sort(contacts),
    engagements: sort(engagements),
    links: sort(links),
    mailboxes: sort(mailboxes),
    decisions: sort(decisions),
    sweeps: sort(sweeps),
    blocks: sort(blocks),
    connections: sort(connections),
    users: sort(users),
  };
}
let before: Awaited<ReturnType<typeof snapshotA>>;

/** Every secret of A that must never appear in an answer to B. */
const leaks = (a: Answer) =>
  [
    A.clientId,
    A.clientName,
    A.contactId,
    A.contactEmail,
    A.orgBlockId,
    A.personalBlockId,
    A.engagementId,
    A.sweepId,
    A.subject,
    A.restItemId,
    A.webhookId,
    A.webhookUrl,
  ].filter((secret) => secret && a.text.includes(secret));

function expectNotFound(a: Answer) {
  expect({ status: a.status, code: code(a), leaks: leaks(a) }).toEqual({
    status: 404,
    code: expect.stringMatching(/not_found/),
    leaks: [],
  });
}
function expectNoLeak(a: Answer) {
  expect(leaks(a)).toEqual([]);
}

beforeAll(async () => {
  s = await startSweepHarness();
  const h = s.h;
  const mail = createMailService({
    db: h.db,
    clock: h.clock,
    logger: h.logger,
    tokens: h.service,
    graph: { baseUrl: h.emulator.url, outbound: h.outbound, maxRetries: 0, timeoutMs: 5000 },
    readBackDelaysMs: [0, 50, 100, 200],
  });
  const verifier = createTokenVerifier({
    authorityHost: h.emulator.url,
    clientId: CLIENT_ID,
    fetch: h.outbound.fetch,
    clock: h.clock,
  });
  app = createApp({
    db: h.db,
    config: h.config,
    clock: h.clock,
    logger: h.logger,
    verifier,
    connections: h.service,
    sweeps: s.sweeps,
    mail,
    rateLimit: { perSecond: 1000, burst: 1000 },
  });

  await s.connect(DANA);
  bUserId = await s.connect(dataset.users!.find((u) => u.id === EVE.id)!);
  // Dana and Eve administer their organizations (their tokens carry the app role); Lee does not.
  h.emulator.state.setAppRoles(DANA.id, CLIENT_ID, [ADMIN_APP_ROLE]);
  h.emulator.state.setAppRoles(EVE.id, CLIENT_ID, [ADMIN_APP_ROLE]);
  h.emulator.state.addUser(LEE); // a colleague of Dana's in A, not connected
  expect((await call("A2", "GET", "/api/me")).status).toBe(200);

  // Organization A: one of everything, through the API.
  A.clientId = ((await call("A", "POST", "/api/clients", { body: { name: A.clientName } })).body as { id: string }).id;
  A.contactId = (
    (await call("A", "POST", "/api/contacts", { body: { email: A.contactEmail, clientId: A.clientId } })).body as {
      id: string;
    }
  ).id;
  expect(
    (await call("A", "POST", "/api/contacts", { body: { email: A.silentContactEmail, clientId: A.clientId } })).status,
  ).toBe(201);
  A.orgBlockId = (
    (await call("A", "POST", "/api/blocklist", { body: { entry: "@blocked-by-a.example", scope: "organization" } }))
      .body as { id: string }
  ).id;
  A.personalBlockId = (
    (await call("A", "POST", "/api/blocklist", { body: { entry: "someone@personal-a.example" } })).body as {
      id: string;
    }
  ).id;
  const rec = h.emulator.state.addMessage(DANA.id, {
    subject: A.subject,
    body: "Numbers inside",
    from: A.contactEmail,
    to: [DANA.mail!],
    cc: [A.silentContactEmail],
    internetMessageId: A.internetMessageId,
    receivedDateTime: new Date(h.clock.now().getTime() - 3600_000).toISOString(),
  });
  A.restItemId = rec.id;
  const sweep = await call("A", "POST", "/api/sweeps?wait=true");
  expect(sweep.status).toBe(200);
  A.sweepId = (sweep.body as { id: string }).id;
  const engagements = await call("A", "GET", "/api/engagements");
  expect(items(engagements)).toHaveLength(1);
  A.engagementId = items(engagements)[0];
  const sent = await call("A", "POST", "/api/mail", {
    headers: { "idempotency-key": A.idempotencyKey },
    body: {
      to: [A.contactEmail],
      subject: "Re: numbers",
      body: { contentType: "text", content: "Thanks" },
      replyTo: A.engagementId,
    },
  });
  expect(sent.status).toBe(201);
  // A's captured status, as A sees it — the thing B's status calls must not reveal.
  const statusA = await call("A", "POST", "/api/messages/status", {
    body: {
      internetMessageId: A.internetMessageId,
      from: A.contactEmail,
      to: [DANA.mail!],
      cc: [A.silentContactEmail],
    },
  });
  expect(statusA.status).toBe(200);
  expect((statusA.body as { status: string }).status).toBe("captured");
  const hook = await call("A", "POST", "/api/webhooks", { body: { url: A.webhookUrl } });
  expect(hook.status).toBe(201);
  A.webhookId = (hook.body as { id: string }).id;
  before = await snapshotA();
});

afterAll(async () => {
  await s?.close();
});

type Check = () => Promise<void>;

/** One entry per OpenAPI operation (METHOD path). */
const checks: Record<string, Check> = {
  "GET /api/me": async () => {
    const me = await call("B", "GET", "/api/me");
    expect(me.status).toBe(200);
    expect((me.body as { organization: { id: string } }).organization.id).toBe(TENANT_B);
    expect((me.body as { user: { id: string } }).user.id).toBe(bUserId);
    expectNoLeak(me);
  },
  "GET /api/clients": async () => {
    const list = await call("B", "GET", "/api/clients");
    expect(list.status).toBe(200);
    expect(items(list)).not.toContain(A.clientId);
    expectNoLeak(list);
  },
  "POST /api/clients": async () => {
    // The same name is free in B: no 409 that would reveal A has it.
    const created = await call("B", "POST", "/api/clients", { body: { name: A.clientName } });
    expect(created.status).toBe(201);
    expect((created.body as { id: string }).id).not.toBe(A.clientId);
    await call("B", "DELETE", `/api/clients/${(created.body as { id: string }).id}`);
  },
  "GET /api/clients/{id}": async () => expectNotFound(await call("B", "GET", `/api/clients/${A.clientId}`)),
  "PATCH /api/clients/{id}": async () =>
    expectNotFound(await call("B", "PATCH", `/api/clients/${A.clientId}`, { body: { name: "Taken over" } })),
  "DELETE /api/clients/{id}": async () => expectNotFound(await call("B", "DELETE", `/api/clients/${A.clientId}`)),
  "GET /api/contacts": async () => {
    for (const q of ["", `?clientId=${A.clientId}`, `?q=${encodeURIComponent("acme-secret")}`]) {
      const list = await call("B", "GET", `/api/contacts${q}`);
      expect([200, 404]).toContain(list.status);
      if (list.status === 200) expect(items(list)).toEqual([]);
      expectNoLeak(list);
    }
  },
  "POST /api/contacts": async () => {
    // Into A's client: refused as unknown.
    const intoA = await call("B", "POST", "/api/contacts", {
      body: { email: "mallory@b.example", clientId: A.clientId },
    });
    expect(intoA.status).toBeGreaterThanOrEqual(400);
    expect(intoA.status).toBeLessThan(500);
    expectNoLeak(intoA);
    // A's contact address is free in B (no duplicate_contact leak).
    const same = await call("B", "POST", "/api/contacts", { body: { email: A.contactEmail } });
    expect(same.status).toBe(201);
    await call("B", "DELETE", `/api/contacts/${(same.body as { id: string }).id}`);
  },
  "POST /api/contacts/import": async () => {
    // A client of the same name is created in B; A's client gets nothing.
    const res = await call("B", "POST", "/api/contacts/import", {
      csv: `email,name,client\nimported@b.example,Imp,${A.clientName}\n`,
    });
    expect(res.status).toBe(201);
    const contact = (res.body as { contacts: { id: string; clientId: string | null }[] }).contacts[0];
    expect(contact.clientId).not.toBe(A.clientId);
    await call("B", "DELETE", `/api/contacts/${contact.id}`);
    await call("B", "DELETE", `/api/clients/${contact.clientId}`);
  },
  "GET /api/contacts/{id}": async () => expectNotFound(await call("B", "GET", `/api/contacts/${A.contactId}`)),
  "PATCH /api/contacts/{id}": async () => {
    expectNotFound(await call("B", "PATCH", `/api/contacts/${A.contactId}`, { body: { name: "Renamed by B" } }));
    // B's own contact cannot be moved into A's client.
    const own = (await call("B", "POST", "/api/contacts", { body: { email: "own@b.example" } })).body as { id: string };
    const moved = await call("B", "PATCH", `/api/contacts/${own.id}`, { body: { clientId: A.clientId } });
    expect(moved.status).toBe(404);
    expectNoLeak(moved);
    await call("B", "DELETE", `/api/contacts/${own.id}`);
  },
  "DELETE /api/contacts/{id}": async () => {
    expectNotFound(await call("B", "DELETE", `/api/contacts/${A.contactId}`));
    // B's administrator asking to remove what was captured with A's contact: still not found, nothing removed.
    expectNotFound(await call("B", "DELETE", `/api/contacts/${A.contactId}?removeCaptured=true`));
  },
  "GET /api/contacts/{id}/removal-preview": async () =>
    expectNotFound(await call("B", "GET", `/api/contacts/${A.contactId}/removal-preview`)),
  "GET /api/engagements": async () => {
    for (const q of ["", `?contactId=${A.contactId}`, `?clientId=${A.clientId}`]) {
      const list = await call("B", "GET", `/api/engagements${q}`);
      expect([200, 404]).toContain(list.status);
      if (list.status === 200) expect(items(list)).not.toContain(A.engagementId);
      expectNoLeak(list);
    }
  },
  "GET /api/engagements/changes": async () => {
    const feed = await call("B", "GET", "/api/engagements/changes?limit=200");
    expect(feed.status).toBe(200);
    expect(JSON.stringify(feed.body)).not.toContain(A.engagementId);
    expectNoLeak(feed);
  },
  "GET /api/engagements/{id}": async () => expectNotFound(await call("B", "GET", `/api/engagements/${A.engagementId}`)),
  "POST /api/messages/status": async () => {
    // B asks about A's captured message with A's participants: B's organization tracks none of them,
    // so it is not captured and no tracked person (or A's client) is named.
    const res = await call("B", "POST", "/api/messages/status", {
      body: { internetMessageId: A.internetMessageId, from: A.contactEmail, to: [EVE.upn], cc: [A.silentContactEmail] },
    });
    expect(res.status).toBe(200);
    // B named A's contact addresses itself (they come back as participants); nothing else of A's may appear.
    expect(leaks(res).filter((x) => x !== A.contactEmail)).toEqual([]);
    const body = res.body as { status: string; engagement: unknown; people: { address: string; contact: unknown }[] };
    expect(body.status).not.toBe("captured");
    expect(body.engagement).toBeNull();
    expect(body.people.length).toBeGreaterThan(0);
    for (const p of body.people)
      expect({ address: p.address, contact: p.contact }).toEqual({ address: p.address, contact: null });
  },
  "POST /api/messages/capture": async () => {
    // A's message id names nothing in B's mailbox (only /me is ever read).
    const res = await call("B", "POST", "/api/messages/capture", {
      body: { restItemId: A.restItemId, internetMessageId: A.internetMessageId },
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expectNoLeak(res);
  },
  "GET /api/blocklist": async () => {
    const list = await call("B", "GET", "/api/blocklist");
    expect(list.status).toBe(200);
    expect(items(list)).not.toContain(A.orgBlockId);
    expect(list.text).not.toContain("blocked-by-a.example");
    // Within A, another user sees the organization's entry but not Dana's personal one.
    const colleague = await call("A2", "GET", "/api/blocklist");
    expect(items(colleague)).toContain(A.orgBlockId);
    expect(items(colleague)).not.toContain(A.personalBlockId);
  },
  "POST /api/blocklist": async () => {
    const same = await call("B", "POST", "/api/blocklist", {
      body: { entry: "@blocked-by-a.example", scope: "organization" },
    });
    expect(same.status).toBe(201);
    await call("B", "DELETE", `/api/blocklist/${(same.body as { id: string }).id}`);
    // B's administrator blocks A's contact's domain with removal: B's engagements only (none); A's stays.
    const removing = await call("B", "POST", "/api/blocklist", {
      body: { entry: "@acme-secret.example", scope: "organization", removeCaptured: true },
    });
    expect(removing.status).toBe(201);
    expect((removing.body as { removedEngagements: number }).removedEngagements).toBe(0);
    await call("B", "DELETE", `/api/blocklist/${(removing.body as { id: string }).id}`);
  },
  "GET /api/blocklist/preview": async () => {
    // A's engagement with pat@acme-secret.example is not counted for B, whoever's list.
    for (const scope of ["organization", "personal"]) {
      const preview = await call(
        "B",
        "GET",
        `/api/blocklist/preview?entry=${encodeURIComponent("@acme-secret.example")}&scope=${scope}`,
      );
      expect(preview.status).toBe(200);
      expect(preview.body).toMatchObject({ engagements: 0, keptShared: 0 });
      expectNoLeak(preview);
    }
    // Within A, a member may not preview an organization-wide removal.
    const colleague = await call(
      "A2",
      "GET",
      `/api/blocklist/preview?entry=${encodeURIComponent("@acme-secret.example")}&scope=organization`,
    );
    expect({ status: colleague.status, code: code(colleague) }).toEqual({ status: 403, code: "forbidden" });
  },
  "DELETE /api/blocklist/{id}": async () => {
    // B is an administrator, but of B: A's entry does not exist there.
    expectNotFound(await call("B", "DELETE", `/api/blocklist/${A.orgBlockId}`));
    // Within A, a member without the role cannot remove the organization's entry.
    const colleague = await call("A2", "DELETE", `/api/blocklist/${A.orgBlockId}`);
    expect({ status: colleague.status, code: code(colleague) }).toEqual({ status: 403, code: "forbidden" });
    expectNotFound(await call("B", "DELETE", `/api/blocklist/${A.personalBlockId}`));
    // A colleague in A cannot delete Dana's personal entry either.
    expectNotFound(await call("A2", "DELETE", `/api/blocklist/${A.personalBlockId}`));
  },
  "GET /api/connections": async () => {
    // B's administrator sees B's users only; the counts are B's too.
    const list = await call("B", "GET", "/api/connections");
    expect(list.status).toBe(200);
    const body = list.body as { items: { user: { id: string; email: string } }[]; counts: Record<string, number> };
    expect(body.items.map((i) => i.user.id)).toEqual([bUserId]);
    expect(Object.values(body.counts).reduce((a, b) => a + b, 0)).toBe(1);
    expect(list.text).not.toContain(DANA.mail!);
    expect(list.text).not.toContain(LEE.mail!);
    expectNoLeak(list);
    // Within A, a member without the role sees nobody's.
    const colleague = await call("A2", "GET", "/api/connections");
    expect({ status: colleague.status, code: code(colleague) }).toEqual({ status: 403, code: "forbidden" });
  },
  "GET /api/organization/retention": async () => {
    const own = await call("B", "GET", "/api/organization/retention");
    expect(own.status).toBe(200);
    expectNoLeak(own);
    const colleague = await call("A2", "GET", "/api/organization/retention");
    expect({ status: colleague.status, code: code(colleague) }).toEqual({ status: 403, code: "forbidden" });
  },
  "PUT /api/organization/retention": async () => {
    // B's administrator sets B's period; A's stays as it was (forever).
    expect((await call("B", "PUT", "/api/organization/retention", { body: { engagementDays: 7 } })).status).toBe(200);
    expect((await call("A", "GET", "/api/organization/retention")).body).toEqual({ engagementDays: null });
    const colleague = await call("A2", "PUT", "/api/organization/retention", { body: { engagementDays: 1 } });
    expect({ status: colleague.status, code: code(colleague) }).toEqual({ status: 403, code: "forbidden" });
    expect((await call("A", "GET", "/api/organization/retention")).body).toEqual({ engagementDays: null });
    expect((await call("B", "PUT", "/api/organization/retention", { body: { engagementDays: null } })).status).toBe(
      200,
    );
  },
  "GET /api/organization/sharing": async () => {
    const own = await call("B", "GET", "/api/organization/sharing");
    expect(own.status).toBe(200);
    expectNoLeak(own);
    const colleague = await call("A2", "GET", "/api/organization/sharing");
    expect({ status: colleague.status, code: code(colleague) }).toEqual({ status: 403, code: "forbidden" });
  },
  "PUT /api/organization/sharing": async () => {
    // B's administrator opens B's mail to everyone; A's settings stay the defaults.
    const defaults = { defaultLevel: "metadata", usersMayChange: true, integrationLevel: "everything" };
    const open = { defaultLevel: "everything", usersMayChange: false, integrationLevel: "everything" };
    expect((await call("B", "PUT", "/api/organization/sharing", { body: open })).status).toBe(200);
    expect((await call("A", "GET", "/api/organization/sharing")).body).toEqual(defaults);
    const colleague = await call("A2", "PUT", "/api/organization/sharing", { body: open });
    expect({ status: colleague.status, code: code(colleague) }).toEqual({ status: 403, code: "forbidden" });
    expect((await call("A", "GET", "/api/organization/sharing")).body).toEqual(defaults);
    expect((await call("B", "PUT", "/api/organization/sharing", { body: defaults })).status).toBe(200);
  },
  "GET /api/me/sharing": async () => {
    const mine = await call("B", "GET", "/api/me/sharing");
    expect(mine.status).toBe(200);
    expectNoLeak(mine);
  },
  "PUT /api/me/sharing": async () => {
    expect((await call("B", "PUT", "/api/me/sharing", { body: { level: "everything" } })).status).toBe(200);
    expect((await call("A", "GET", "/api/me/sharing")).body).toMatchObject({ level: "metadata", chosen: null });
    expect((await call("B", "PUT", "/api/me/sharing", { body: { level: null } })).status).toBe(200);
  },
  "GET /api/webhooks": async () => {
    const list = await call("B", "GET", "/api/webhooks");
    expect(list.status).toBe(200);
    expect(items(list)).not.toContain(A.webhookId);
    expectNoLeak(list);
    const colleague = await call("A2", "GET", "/api/webhooks");
    expect({ status: colleague.status, code: code(colleague) }).toEqual({ status: 403, code: "forbidden" });
  },
  "POST /api/webhooks": async () => {
    const own = await call("B", "POST", "/api/webhooks", { body: { url: "https://crm.b.example/hooks" } });
    expect(own.status).toBe(201);
    expectNoLeak(own);
    expect(items(await call("A", "GET", "/api/webhooks"))).toEqual([A.webhookId]);
  },
  ...Object.fromEntries(
    (
      [
        ["GET", "/api/webhooks/{id}", undefined],
        ["PATCH", "/api/webhooks/{id}", { url: "https://evil.example/steal" }],
        ["DELETE", "/api/webhooks/{id}", undefined],
        ["POST", "/api/webhooks/{id}/rotate-secret", {}],
        ["POST", "/api/webhooks/{id}/enable", undefined],
        ["GET", "/api/webhooks/{id}/deliveries", undefined],
        ["POST", "/api/webhooks/{id}/replay", { since: "2020-01-01T00:00:00Z" }],
      ] as const
    ).map(([method, path, body]) => [
      `${method} ${path}`,
      async () => {
        const res = await call("B", method, path.replace("{id}", A.webhookId), { body });
        expect(res.status).toBe(404);
        expectNoLeak(res);
        const mine = await call("A", "GET", `/api/webhooks/${A.webhookId}`);
        expect((mine.body as { url: string }).url).toBe(A.webhookUrl);
      },
    ]),
  ),
  "POST /api/organization/erasures": async () => {
    // B's administrator erases A's contact's address in B: A keeps everything it holds about it.
    const before = await call("A", "GET", "/api/engagements");
    const res = await call("B", "POST", "/api/organization/erasures", {
      body: { address: A.contactEmail, scope: "full" },
    });
    expect(res.status).toBe(200);
    expectNoLeak(res);
    expect((await call("A", "GET", `/api/contacts/${A.contactId}`)).status).toBe(200);
    expect((await call("A", "GET", "/api/engagements")).body).toEqual(before.body);
    // Within A, a member without the role may not erase anyone.
    const colleague = await call("A2", "POST", "/api/organization/erasures", {
      body: { address: A.contactEmail, scope: "full" },
    });
    expect({ status: colleague.status, code: code(colleague) }).toEqual({ status: 403, code: "forbidden" });
  },
  "GET /api/sweeps": async () => {
    const list = await call("B", "GET", "/api/sweeps");
    expect(list.status).toBe(200);
    expect(items(list)).not.toContain(A.sweepId);
    expectNoLeak(list);
  },
  "POST /api/sweeps": async () => {
    const res = await call("B", "POST", "/api/sweeps?wait=true");
    expect(res.status).toBe(200);
    expect((res.body as { id: string }).id).not.toBe(A.sweepId);
    expectNoLeak(res);
  },
  "POST /api/mail": async () => {
    // Replying to A's engagement: unknown in B.
    const reply = await call("B", "POST", "/api/mail", {
      headers: { "idempotency-key": "b-reply-1" },
      body: {
        to: ["someone@b.example"],
        subject: "Re",
        body: { contentType: "text", content: "x" },
        replyTo: A.engagementId,
      },
    });
    expectNotFound(reply);
    // A's Idempotency-Key with A's body: B's own send, never A's stored answer replayed.
    const replay = await call("B", "POST", "/api/mail", {
      headers: { "idempotency-key": A.idempotencyKey },
      body: { to: [A.contactEmail], subject: "Re: numbers", body: { contentType: "text", content: "Thanks" } },
    });
    expect(replay.headers.get("idempotency-replayed")).toBeNull();
    expect(replay.status).toBe(201);
    // B named A's contact address itself; nothing else of A's may appear.
    expect(leaks(replay).filter((x) => x !== A.contactEmail)).toEqual([]);
  },
  "POST /api/connection": async () => {
    const res = await call("B", "POST", "/api/connection");
    expect(res.status).toBe(200);
    const url = new URL((res.body as { authorizeUrl: string }).authorizeUrl);
    expect(url.searchParams.get("login_hint")).toBe(EVE.upn);
  },
  "DELETE /api/connection": async () => {
    expect((await call("B", "DELETE", "/api/connection")).status).toBe(204);
    const meA = await call("A", "GET", "/api/me");
    expect((meA.body as { connection: { status: string } }).connection.status).toBe("active");
  },
};

/** Operations without a token: the same answer whoever calls (they hold no organization's data). */
const publicOps = () =>
  Object.entries(openApiDocument.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([, op]) => Array.isArray(op.security) && op.security.length === 0)
      .map(([method]) => ({ method: method.toUpperCase(), path })),
  );
const securedOps = () =>
  Object.entries(openApiDocument.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([, op]) => !(Array.isArray(op.security) && op.security.length === 0))
      .map(([method]) => `${method.toUpperCase()} ${path}`),
  );

test("every authenticated operation of the OpenAPI description has an isolation check (and no check is stale)", () => {
  expect(securedOps().sort()).toEqual(Object.keys(checks).sort());
});

describe("organization B cannot see or touch organization A", () => {
  // DELETE /api/connection runs last: the other checks need B connected.
  const ordered = Object.keys(checks).sort(
    (a, b) => Number(a === "DELETE /api/connection") - Number(b === "DELETE /api/connection"),
  );
  test.each(ordered)("%s", async (op) => {
    await checks[op]();
  });

  test("public operations answer the same to A, B and no one", async () => {
    for (const { method, path } of publicOps()) {
      const concrete = path.replace("{file}", "support.html").replace("{id}", "x").replace("*", "office.js");
      const [a, b, none] = [
        await call("A", method, concrete),
        await call("B", method, concrete),
        await call("anonymous", method, concrete),
      ];
      expect({ path, b: b.status, none: none.status }).toEqual({ path, b: a.status, none: a.status });
      // Bodies may differ only by per-request values (none here but nonces in future pages): compare sizes loosely.
      if (!path.startsWith("/auth/"))
        expect({ path, same: b.text === a.text && none.text === a.text }).toEqual({ path, same: true });
      expectNoLeak(b);
    }
  });

  test("nothing of A changed", async () => {
    expect(await snapshotA()).toEqual(before);
  });
});
