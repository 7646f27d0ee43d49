/**
 * JSON nested arbitrarily deep (well inside the body size limits) is refused with a 400 in the error
 * shape, never a 500: the scan for U+0000 walks the parsed body without recursing per level.
 */
import { containsNul, MAX_JSON_DEPTH } from "../../server/api/request";
import { createHarness, type Harness } from "./harness";

let t: Harness;
beforeAll(async () => {
  t = await createHarness();
});
afterAll(() => t.close());

const nested = (levels: number, inner: string) => `${"[".repeat(levels)}${inner}${"]".repeat(levels)}`;

async function expectTooDeep(res: Response) {
  expect(res.status).toBe(400);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error).toMatchObject({ code: "invalid_request" });
  expect(body.error.message).toMatch(/nests deeper than 64 levels/);
}

test('100,000 levels of [ around "\\u0000" → 400 invalid_request on every JSON route, nothing stored', async () => {
  const raw = nested(100_000, '"\\u0000"');
  await expectTooDeep(await t.call("POST", "/api/clients", { rawBody: raw }));
  await expectTooDeep(
    await t.call("POST", "/api/messages/status", { rawBody: `{"internetMessageId":"<x@y>","to":${raw},"cc":[]}` }),
  );
  await expectTooDeep(
    await t.call("POST", "/api/contacts", {
      rawBody: `{"email":"a@b.com","name":${nested(50_000, '{"k\\u0000":1}')}}`,
    }),
  );
  const clients = (await (await t.call("GET", "/api/clients")).json()) as { items: unknown[] };
  expect(clients.items).toEqual([]);
});

test("deep JSON without U+0000 is refused the same way; ordinary nesting still reaches the schema", async () => {
  await expectTooDeep(await t.call("POST", "/api/clients", { rawBody: `{"name":${nested(100_000, "1")}}` }));
  const res = await t.call("POST", "/api/clients", { rawBody: `{"name":${nested(10, '"x"')}}` });
  expect(res.status).toBe(400);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_request");
});

test("containsNul: depth bound exactly, no recursion", () => {
  const deep = (n: number, leaf: unknown): unknown => {
    let v = leaf;
    for (let i = 0; i < n; i++) v = [v];
    return v;
  };
  expect(containsNul(deep(MAX_JSON_DEPTH, "a\u0000"))).toBe(true);
  expect(containsNul(deep(MAX_JSON_DEPTH, "a"))).toBe(false);
  expect(() => containsNul(deep(MAX_JSON_DEPTH + 1, "a"))).toThrow(/nests deeper/);
  expect(() => containsNul(deep(1_000_000, "a"))).toThrow(/nests deeper/);
  expect(containsNul({ "k\u0000": 1 })).toBe(true);
});
