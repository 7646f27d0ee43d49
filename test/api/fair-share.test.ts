/**
 * Fair share between organizations over the API: the contact and blocklist quotas come from the
 * configuration and answer 409 with their own codes; a second import while one runs answers 409
 * import_in_progress with Retry-After.
 */
import { loadConfig } from "../../server/config";
import { acquireImportLease, releaseImportLease } from "../../server/store/contact-import-leases";
import { TENANT_A, TENANT_B, createHarness, testConfig, type Harness } from "./harness";

let t: Harness;
beforeAll(async () => {
  t = await createHarness({
    config: {
      ...testConfig(),
      quotas: { contactsPerOrganization: 5, blocklistEntriesPerOrganization: 2, clientsPerOrganization: 3 },
    },
  });
});
afterAll(() => t.close());

const csv = (emails: string[]) => ["email,name,client", ...emails.map((e) => `${e},,Acme`)].join("\n");
const importCsv = (emails: string[], tenant = TENANT_A) =>
  t.call("POST", "/api/contacts/import", { rawBody: csv(emails), headers: { "content-type": "text/csv" }, tenant });
const errorOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; message: string; details?: unknown } }).error;

test("settings: CONTACTS_, BLOCKLIST_ENTRIES_ and CLIENTS_PER_ORGANIZATION, with defaults, checked", () => {
  const base = { LOG_LEVEL: "silent" };
  const dflt = loadConfig(base);
  expect(dflt.ok && dflt.config.quotas).toEqual({
    contactsPerOrganization: 100_000,
    blocklistEntriesPerOrganization: 10_000,
    clientsPerOrganization: 10_000,
  });
  const set = loadConfig({
    ...base,
    CONTACTS_PER_ORGANIZATION: "2500",
    BLOCKLIST_ENTRIES_PER_ORGANIZATION: "50",
    CLIENTS_PER_ORGANIZATION: "70",
  });
  expect(set.ok && set.config.quotas).toEqual({
    contactsPerOrganization: 2500,
    blocklistEntriesPerOrganization: 50,
    clientsPerOrganization: 70,
  });
  const bad = loadConfig({ ...base, CONTACTS_PER_ORGANIZATION: "lots", BLOCKLIST_ENTRIES_PER_ORGANIZATION: "0" });
  expect(bad.ok).toBe(false);
  expect(!bad.ok && bad.problems).toEqual([
    expect.stringMatching(/^CONTACTS_PER_ORGANIZATION.*whole number/),
    expect.stringMatching(/^BLOCKLIST_ENTRIES_PER_ORGANIZATION.*at least 1/),
  ]);
});

test("an import past the contact quota → 409 contact_quota_exceeded, nothing stored; a single create at the quota too", async () => {
  expect((await importCsv(["a@x.example", "b@x.example", "c@x.example"])).status).toBe(201);
  const over = await importCsv(["d@x.example", "e@x.example", "f@x.example"]);
  expect(over.status).toBe(409);
  const e = await errorOf(over);
  expect(e).toMatchObject({ code: "contact_quota_exceeded", details: { limit: 5, existing: 3, adding: 3 } });
  expect(e.message).toMatch(/at most 5 contacts/);
  expect(((await (await t.call("GET", "/api/contacts?limit=50")).json()) as { items: unknown[] }).items).toHaveLength(
    3,
  );
  expect((await importCsv(["d@x.example", "e@x.example"])).status).toBe(201);
  const single = await t.call("POST", "/api/contacts", { body: { email: "f@x.example" } });
  expect(single.status).toBe(409);
  expect((await errorOf(single)).code).toBe("contact_quota_exceeded");
  // Another organization has its own quota.
  expect(
    (await t.call("POST", "/api/contacts", { body: { email: "f@x.example" }, tenant: TENANT_B, oid: "oid-bob" }))
      .status,
  ).toBe(201);
});

test("an import while another of the organization's imports runs → 409 import_in_progress with Retry-After", async () => {
  const lease = await acquireImportLease(t.h.db, TENANT_A, t.clock.now());
  try {
    const res = await importCsv(["z@x.example"]);
    expect(res.status).toBe(409);
    expect(res.headers.get("retry-after")).toBe("5");
    expect((await errorOf(res)).code).toBe("import_in_progress");
  } finally {
    await releaseImportLease(t.h.db, TENANT_A, lease);
  }
});

test("the blocklist quota → 409 blocklist_quota_exceeded", async () => {
  expect((await t.call("POST", "/api/blocklist", { body: { entry: "@spam.example" } })).status).toBe(201);
  expect((await t.call("POST", "/api/blocklist", { body: { entry: "@junk.example" } })).status).toBe(201);
  const res = await t.call("POST", "/api/blocklist", { body: { entry: "@more.example" } });
  expect(res.status).toBe(409);
  expect((await errorOf(res)).code).toBe("blocklist_quota_exceeded");
});

test("the client quota: a create past it, or an import naming more new clients than fit → 409 client_quota_exceeded, nothing stored", async () => {
  const tenant = TENANT_B;
  const oid = "oid-carol";
  const post = (name: string) => t.call("POST", "/api/clients", { body: { name }, tenant, oid });
  const listed = (await (await t.call("GET", "/api/clients", { tenant, oid })).json()) as { items: unknown[] };
  expect(listed.items).toHaveLength(0); // organization B has only the contact made above
  expect((await post("Client 0")).status).toBe(201);
  expect((await post("Client 1")).status).toBe(201);
  const importing = await t.call("POST", "/api/contacts/import", {
    rawBody: "email,client\nn1@x.example,New One\nn2@x.example,New Two\nn3@x.example,Client 0",
    headers: { "content-type": "text/csv" },
    tenant,
    oid,
  });
  expect(importing.status).toBe(409);
  expect(await errorOf(importing)).toMatchObject({
    code: "client_quota_exceeded",
    details: { limit: 3, existing: 2, adding: 2 },
  });
  expect((await post("Third")).status).toBe(201);
  const over = await post("Fourth");
  expect(over.status).toBe(409);
  expect((await errorOf(over)).code).toBe("client_quota_exceeded");
});
