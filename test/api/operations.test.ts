/**
 * Declared operations: mounting follows the declared path, and the answers match the declared response
 * schemas (the zod schemas the pane's types are inferred from).
 */
import { Hono } from "hono";
import { z } from "zod";
import { createRoute, mount, mountApi } from "../../server/api/operations";
import { ADMIN_APP_ROLE } from "../../shared/api/roles";
import * as S from "../../shared/api/schemas";
import { createHarness, type Harness } from "./harness";

const op = (path: string) => createRoute({ method: "get", path, responses: { "200": { description: "OK" } } });

test("mount turns {param} into Hono's :param, under the base the app is mounted at", async () => {
  const api = new Hono();
  mountApi(api, op("/api/things/{id}"), (c) => c.text(c.req.param("id") ?? ""));
  const app = new Hono().route("/api", api);
  expect(await (await app.request("/api/things/abc")).text()).toBe("abc");
  expect(() => mount(new Hono(), op("/elsewhere"), (c) => c.text(""), "/api")).toThrow(/not under \/api/);
});

describe("answers match their declared schemas", () => {
  let t: Harness;
  beforeAll(async () => {
    t = await createHarness();
  });
  afterAll(() => t.close());

  const parsed = async <T extends z.ZodType>(res: Response, status: number, schema: T) => {
    expect(res.status).toBe(status);
    const body = await res.json();
    const result = schema.safeParse(body);
    expect(result.error?.issues ?? []).toEqual([]);
    return result.data as z.output<T>;
  };

  test("me, clients, contacts, blocklist, engagements, message status, errors", async () => {
    await parsed(await t.call("GET", "/api/me"), 200, S.meResponseSchema);
    const client = await parsed(
      await t.call("POST", "/api/clients", { body: { name: "Fabrikam" } }),
      201,
      S.clientViewSchema,
    );
    await parsed(await t.call("GET", "/api/clients"), 200, S.pageOf(S.clientViewSchema));
    const body = { email: "alex@fabrikam.com", name: "Alex", clientId: client!.id };
    await parsed(await t.call("POST", "/api/contacts", { body }), 201, S.contactViewSchema);
    await parsed(await t.call("GET", "/api/contacts"), 200, S.pageOf(S.contactViewSchema));
    await parsed(
      await t.call("POST", "/api/blocklist", { body: { entry: "@spam.example" } }),
      201,
      S.blockEntryViewSchema,
    );
    await parsed(await t.call("GET", "/api/blocklist"), 200, S.pageOf(S.blockEntryViewSchema));
    await parsed(await t.call("GET", "/api/engagements"), 200, S.pageOf(S.engagementViewSchema));
    const status = {
      internetMessageId: "<m1@fabrikam.com>",
      from: "alex@fabrikam.com",
      to: ["dana@contoso.com"],
      receivedDateTime: "2026-11-26T11:00:00Z",
    };
    await parsed(await t.call("POST", "/api/messages/status", { body: status }), 200, S.messageStatusResponseSchema);
    await parsed(
      await t.call("POST", "/api/clients", { body: { name: "Fabrikam", extra: 1 } }),
      400,
      S.errorBodySchema,
    );
    await parsed(await t.call("GET", "/api/connections", { roles: [ADMIN_APP_ROLE] }), 200, S.mailboxHealthPageSchema);
    await parsed(await t.app.request("/addin-config.json"), 200, S.addinConfigSchema);
  });
});
