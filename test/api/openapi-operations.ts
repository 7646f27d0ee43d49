/**
 * The operation set of an OpenAPI document: one "METHOD path status,status…" line per operation, sorted.
 * test/fixtures/openapi-operations.json holds the set the API answers today; `npx tsx test/api/openapi-operations.ts`
 * rewrites it from the app's /api/openapi.json (only when an operation is added or removed on purpose).
 */
import fs from "node:fs";
import path from "node:path";

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

export const OPERATIONS_FIXTURE = path.join(__dirname, "..", "fixtures", "openapi-operations.json");

export function operationSet(doc: { paths: Record<string, Record<string, unknown>> }): string[] {
  return Object.entries(doc.paths)
    .flatMap(([p, item]) =>
      Object.entries(item)
        .filter(([m]) => METHODS.includes(m))
        .map(([m, op]) => {
          const statuses = Object.keys((op as { responses?: Record<string, unknown> }).responses ?? {}).sort();
          return `${m.toUpperCase()} ${p} ${statuses.join(",")}`;
        }),
    )
    .sort();
}

async function writeBaseline(): Promise<void> {
  const { createHarness } = await import("./harness");
  const t = await createHarness();
  try {
    const doc = await (await t.app.request("/api/openapi.json")).json();
    fs.writeFileSync(OPERATIONS_FIXTURE, JSON.stringify(operationSet(doc), null, 2) + "\n");
  } finally {
    await t.close();
  }
}

if (require.main === module) void writeBaseline();
