/**
 * The webhook operations on SQLite and PostgreSQL: administrators and applications with the write role
 * manage endpoints, members may not (403); the secret is answered once; URLs that are not public HTTPS
 * are refused at registration (422 invalid_webhook_url); the OpenAPI document describes the payloads.
 */
import { randomBytes } from "node:crypto";
import { ADMIN_APP_ROLE, APP_WRITE_ROLE } from "../../shared/api/roles";
import { openApiDocument } from "../../server/api/api-document";
import { ManualClock } from "../../server/clock";
import { createWebhookAdmin } from "../../server/webhooks/endpoints";
import { createTokenCipher } from "../../server/identity/token-crypto";
import { databaseTargets } from "../db/databases";
import { CLIENT_ID, NOW, TENANT_A, TENANT_B, createHarness, type Harness } from "../api/harness";

for (const target of databaseTargets()) {
  const describeIf = target.available ? describe : describe.skip;

  describeIf(`webhook operations on ${target.name}`, () => {
    let t: Harness;
    const admin = { roles: [ADMIN_APP_ROLE] };
    const body = { url: "https://crm.contoso.example/hooks", eventTypes: ["engagement.created"] };
    const json = async (res: Response) => ({ status: res.status, body: await res.json().catch(() => null) });

    beforeAll(async () => {
      const h = await target.open();
      const webhooks = createWebhookAdmin({
        db: h.db,
        clock: new ManualClock(NOW),
        cipher: createTokenCipher(randomBytes(32)),
        allowHosts: [],
        maxEndpoints: 20,
      });
      t = await createHarness({ webhooks }, {}, async () => h);
    });
    afterAll(() => t.close());

    it("administrators register an endpoint and see its secret once", async () => {
      const created = await json(await t.call("POST", "/api/webhooks", { ...admin, body }));
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ url: body.url, status: "active", eventTypes: ["engagement.created"] });
      expect(created.body.secret).toMatch(/^whsec_/);
      const list = await json(await t.call("GET", "/api/webhooks", admin));
      expect(list.body.items.map((e: { id: string }) => e.id)).toContain(created.body.id);
      expect(JSON.stringify(list.body)).not.toContain(created.body.secret);
      const one = await json(await t.call("GET", `/api/webhooks/${created.body.id}`, admin));
      expect(one.body).not.toHaveProperty("secret");
      const patched = await json(
        await t.call("PATCH", `/api/webhooks/${created.body.id}`, {
          ...admin,
          body: { eventTypes: ["engagement.deleted"] },
        }),
      );
      expect(patched.body.eventTypes).toEqual(["engagement.deleted"]);
      const rotated = await json(
        await t.call("POST", `/api/webhooks/${created.body.id}/rotate-secret`, { ...admin, body: {} }),
      );
      expect(rotated.body.secret).toMatch(/^whsec_/);
      expect(rotated.body.secret).not.toBe(created.body.secret);
      const log = await json(await t.call("GET", `/api/webhooks/${created.body.id}/deliveries`, admin));
      expect(log.body).toEqual({ items: [], nextCursor: null });
      expect((await t.call("DELETE", `/api/webhooks/${created.body.id}`, admin)).status).toBe(204);
      expect((await t.call("GET", `/api/webhooks/${created.body.id}`, admin)).status).toBe(404);
    });

    it("refuses members (403 forbidden) and other organizations (404)", async () => {
      const created = await json(await t.call("POST", "/api/webhooks", { ...admin, body }));
      for (const [method, path] of [
        ["POST", "/api/webhooks"],
        ["GET", "/api/webhooks"],
        ["GET", `/api/webhooks/${created.body.id}`],
        ["GET", `/api/webhooks/${created.body.id}/deliveries`],
        ["POST", `/api/webhooks/${created.body.id}/replay`],
        ["DELETE", `/api/webhooks/${created.body.id}`],
      ]) {
        const r = await json(await t.call(method, path, { body: method === "POST" ? body : undefined }));
        expect([method, path, r.status, r.body.error.code]).toEqual([method, path, 403, "forbidden"]);
      }
      const other = await t.call("GET", `/api/webhooks/${created.body.id}`, { ...admin, tenant: TENANT_B });
      expect(other.status).toBe(404);
    });

    it.each([
      "http://crm.contoso.example/hooks",
      "https://127.0.0.1/hooks",
      "https://10.1.2.3/hooks",
      "https://169.254.169.254/latest/meta-data",
      "https://[::1]/hooks",
      "https://[::ffff:127.0.0.1]/hooks",
      "https://100.64.0.1/hooks",
      "https://localhost/hooks",
      "https://intranet/hooks",
      "https://user:pw@crm.contoso.example/hooks",
      "not a url",
    ])("refuses %s at registration (422 invalid_webhook_url)", async (url) => {
      const r = await json(await t.call("POST", "/api/webhooks", { ...admin, body: { ...body, url } }));
      expect(r.status).toBe(422);
      expect(r.body.error.code).toBe("invalid_webhook_url");
    });

    it("lets an application with the write role register, attributed to it", async () => {
      const token = await t.token({
        tid: TENANT_A,
        aud: CLIENT_ID,
        oid: "crm-sp",
        azp: "99999999-8888-7777-6666-555555555555",
        idtyp: "app",
        scp: undefined,
        preferred_username: undefined,
        name: undefined,
        roles: [APP_WRITE_ROLE],
      });
      const r = await json(await t.call("POST", "/api/webhooks", { token, body }));
      expect(r.status).toBe(201);
      expect(r.body.createdBy).toBe("app:99999999-8888-7777-6666-555555555555");
    });

    it("replay of an unknown delivery answers 404; a bad body 400", async () => {
      const created = await json(await t.call("POST", "/api/webhooks", { ...admin, body }));
      const path = `/api/webhooks/${created.body.id}/replay`;
      expect((await t.call("POST", path, { ...admin, body: { deliveryId: "msg_x" } })).status).toBe(404);
      expect((await t.call("POST", path, { ...admin, body: { since: "yesterday" } })).status).toBe(400);
      expect((await t.call("POST", path, { ...admin, body: {} })).status).toBe(400);
      expect(
        (await json(await t.call("POST", path, { ...admin, body: { since: "2026-01-01T00:00:00Z" } }))).body,
      ).toEqual({ replayed: 0 });
    });
  });
}

describe("the OpenAPI description of webhooks", () => {
  it("describes each event's payload and signature headers in the webhooks section", () => {
    const hooks = (openApiDocument as unknown as { webhooks: Record<string, { post: any }> }).webhooks;
    expect(Object.keys(hooks).sort()).toEqual(["engagement.created", "engagement.deleted", "engagement.updated"]);
    const post = hooks["engagement.created"].post;
    expect(post.parameters.map((p: { name: string }) => p.name)).toEqual([
      "webhook-id",
      "webhook-timestamp",
      "webhook-signature",
    ]);
    expect(post.requestBody.content["application/json"].schema.$ref).toBe("#/components/schemas/WebhookPayload");
  });
});
