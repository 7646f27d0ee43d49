/**
 * Applications (a CRM's backend with its own client-credentials token, no user) on SQLite and PostgreSQL:
 * with an app role of this API they read the organization of the token's tenant — engagements, contacts,
 * clients — and nothing of another tenant; every operation that is a person's own answers 403 user_only;
 * a token without the role 403 forbidden; no user is ever provisioned for an application.
 */
import { ADMIN_APP_ROLE, APP_READ_ROLE, APP_WRITE_ROLE } from "../../shared/api/roles";
import { recordCaptureBatch, type CaptureItem } from "../../server/store/capture-decisions";
import { OPERATIONS, openApiDocument } from "../../server/api/api-document";
import { APP_OPERATIONS } from "../../server/api/roles";
import { databaseTargets } from "../db/databases";
import { CLIENT_ID, TENANT_A, TENANT_B, createHarness, type Harness } from "./harness";

const CRM_CLIENT_ID = "99999999-8888-7777-6666-555555555555";
const CRM_SP = "crm-service-principal";

function captureItem(n: number, contactIds: string[]): CaptureItem {
  return {
    outcome: "captured",
    engagement: {
      internetMessageId: `<app${n}@mail.example>`,
      conversationId: null,
      subject: `Subject ${n}`,
      bodyText: "Body",
      bodyPreview: "Body",
      direction: "inbound",
      messageTime: "2026-11-26T10:00:00.000Z",
      sentAt: "2026-11-26T10:00:00.000Z",
      receivedAt: "2026-11-26T10:00:00.000Z",
      fromAddress: "ceo@acme.example",
      participants: [
        { address: "ceo@acme.example", name: null, role: "from" },
        { address: "dana@contoso.com", name: null, role: "to" },
      ],
    },
    graphMessageId: `g${n}`,
    webLink: null,
    contactIds,
  };
}

for (const target of databaseTargets()) {
  const describeIf = target.available ? describe : describe.skip;

  describeIf(`application access on ${target.name}`, () => {
    let t: Harness;
    let engagementId = "";
    let contactId = "";

    /** An application's own token, as Entra issues for client credentials (v2, aud = our client id). */
    const appToken = (roles: string[] | undefined, tenant = TENANT_A, extra: Record<string, unknown> = {}) => {
      const claims: Record<string, unknown> = {
        tid: tenant,
        aud: CLIENT_ID,
        oid: CRM_SP,
        sub: CRM_SP,
        azp: CRM_CLIENT_ID,
        azpacr: "1",
        idtyp: "app",
        scp: undefined,
        preferred_username: undefined,
        name: undefined,
        ...(roles ? { roles } : {}),
        ...extra,
      };
      return t.token(claims);
    };
    const asApp = async (
      roles: string[] | undefined,
      method: string,
      path: string,
      opts: { tenant?: string; body?: unknown } = {},
    ) => {
      const res = await t.call(method, path, { token: await appToken(roles, opts.tenant), body: opts.body });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };

    beforeAll(async () => {
      t = await createHarness({}, {}, target.open);
      const contact = await t.call("POST", "/api/contacts", { body: { email: "ceo@acme.example" } });
      expect(contact.status).toBe(201);
      contactId = ((await contact.json()) as { id: string }).id;
      const me = (await (await t.call("GET", "/api/me")).json()) as { user: { id: string } };
      const [r] = await t.h.db
        .transaction()
        .execute((trx) =>
          recordCaptureBatch(trx, TENANT_A, me.user.id, null, [captureItem(1, [contactId])], t.clock.now()),
        );
      engagementId = r.engagementId!;
    });
    afterAll(() => t.close());

    it.each([APP_READ_ROLE, APP_WRITE_ROLE])(
      "reads the tenant's engagements, contacts and clients with %s",
      async (role) => {
        const list = await asApp([role], "GET", "/api/engagements");
        expect(list.status).toBe(200);
        expect(list.body.items.map((e: { id: string }) => e.id)).toEqual([engagementId]);
        expect((await asApp([role], "GET", `/api/engagements/${engagementId}`)).body.bodyText).toBe("Body");
        const contacts = await asApp([role], "GET", "/api/contacts");
        expect(contacts.status).toBe(200);
        expect(contacts.body.items.map((c: { id: string }) => c.id)).toEqual([contactId]);
        expect((await asApp([role], "GET", `/api/contacts/${contactId}`)).status).toBe(200);
        expect((await asApp([role], "GET", "/api/clients")).status).toBe(200);
      },
    );

    it("sees nothing of another tenant's organization", async () => {
      const list = await asApp([APP_READ_ROLE], "GET", "/api/engagements", { tenant: TENANT_B });
      expect(list.status).toBe(200);
      expect(list.body.items).toEqual([]);
      expect(
        (await asApp([APP_READ_ROLE], "GET", `/api/engagements/${engagementId}`, { tenant: TENANT_B })).status,
      ).toBe(404);
      expect((await asApp([APP_READ_ROLE], "GET", `/api/contacts/${contactId}`, { tenant: TENANT_B })).status).toBe(
        404,
      );
    });

    it("is refused without one of this API's app roles (403 forbidden)", async () => {
      for (const roles of [undefined, [], ["Mail.Read"], [ADMIN_APP_ROLE], [APP_READ_ROLE.toLowerCase()]]) {
        const r = await asApp(roles, "GET", "/api/engagements");
        expect(r.status).toBe(403);
        expect(r.body.error.code).toBe("forbidden");
      }
    });

    it.each([
      ["GET", "/api/me"],
      ["POST", "/api/connection"],
      ["DELETE", "/api/connection"],
      ["POST", "/api/mail"],
      ["POST", "/api/messages/status"],
      ["POST", "/api/messages/capture"],
      ["POST", "/api/sweeps"],
      ["GET", "/api/sweeps"],
      ["GET", "/api/connections"],
    ])("answers %s %s 403 user_only, even with every role", async (method, path) => {
      const body = method === "GET" ? undefined : {};
      const r = await asApp([APP_READ_ROLE, APP_WRITE_ROLE, ADMIN_APP_ROLE], method, path, { body });
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe("user_only");
    });

    it("provisions no user for an application", async () => {
      const before = await t.h.db.selectFrom("users").select("id").execute();
      expect((await asApp([APP_READ_ROLE], "GET", "/api/engagements")).status).toBe(200);
      const after = await t.h.db.selectFrom("users").select("id").execute();
      expect(after).toEqual(before);
      const oids = await t.h.db.selectFrom("users").select("oid").where("oid", "=", CRM_SP).execute();
      expect(oids).toEqual([]);
    });

    it("refuses an application token without azp or oid, and one for another audience", async () => {
      for (const extra of [{ azp: undefined }, { oid: undefined }, { aud: "api://someone-else" }]) {
        const res = await t.call("GET", "/api/engagements", {
          token: await appToken([APP_READ_ROLE], TENANT_A, extra),
        });
        expect(res.status).toBe(401);
      }
    });

    it("a user token claiming idtyp app but carrying scp is still a user's", async () => {
      const token = await t.token({ idtyp: "app", roles: [APP_READ_ROLE] });
      const res = await t.call("GET", "/api/me", { token });
      expect(res.status).toBe(200);
    });
  });
}

describe("the OpenAPI description of application access", () => {
  it("declares the application scheme and the operations that accept it", () => {
    expect(openApiDocument.components.securitySchemes).toHaveProperty("application");
    const accepting = Object.entries(openApiDocument.paths).flatMap(([path, item]) =>
      Object.entries(item as Record<string, { security?: Record<string, string[]>[] }>)
        .filter(([, op]) => op.security?.some((s) => "application" in s))
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    // The writes open to applications (contacts, the organization's blocklist, webhooks) are in app-write.test.ts.
    const declared = new Set(OPERATIONS.map((op) => op.operationId));
    expect(accepting).toHaveLength(Object.keys(APP_OPERATIONS).filter((id) => declared.has(id)).length);
    expect(
      accepting.filter((op) => !/blocklist|webhooks|contacts.*removal|^(POST|PATCH|DELETE)/.test(op)).sort(),
    ).toEqual(
      [
        "GET /api/clients",
        "GET /api/clients/{id}",
        "GET /api/contacts",
        "GET /api/contacts/{id}",
        "GET /api/engagements",
        "GET /api/engagements/changes",
        "GET /api/engagements/{id}",
      ].sort(),
    );
  });
});
