/** Where writes and imports may go: one writer module per table, and mail reaches the sweep through one entry point. */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const SERVER = join(__dirname, "../../server");
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });

test("every table is written by one module in server/store", () => {
  const writers = new Map<string, Set<string>>();
  for (const f of files(SERVER)) {
    const rel = relative(SERVER, f);
    if (rel.startsWith("db/migrations")) continue;
    for (const m of readFileSync(f, "utf8").matchAll(/\.(?:insertInto|updateTable|deleteFrom)\("([A-Za-z]+)"\)/g)) {
      if (!writers.has(m[1])) writers.set(m[1], new Set());
      writers.get(m[1])!.add(rel);
    }
  }
  expect(writers.size).toBeGreaterThan(10);
  for (const [table, modules] of writers) {
    expect([table, [...modules].every((m) => m.startsWith("store/"))]).toEqual([table, true]);
    // The engagement tables are written by the capture batch only (their one write path).
    expect([table, modules.size]).toEqual([table, 1]);
  }
});

test("server/mail imports the sweep only through sweep/capture-message", () => {
  for (const f of files(join(SERVER, "mail"))) {
    for (const m of readFileSync(f, "utf8").matchAll(/from "\.\.\/sweep\/([^"]+)"/g)) {
      expect([relative(SERVER, f), m[1]]).toEqual([relative(SERVER, f), "capture-message"]);
    }
  }
});
