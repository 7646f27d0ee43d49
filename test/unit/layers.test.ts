/**
 * The entry points in server/cli/ build everything (compose.ts, serve.ts); a module they build must not
 * reach back up into them, or the composition would stop being the top of the graph.
 */
import fs from "node:fs";
import path from "node:path";

const SERVER = path.resolve(__dirname, "../../server");
const CLI = path.join(SERVER, "cli");

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.tsx?$/.test(e.name) ? [p] : [];
  });
}

/** Relative module specifiers of import/export-from statements and import() calls. */
function relativeImports(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]);
  return specs.map((s) => path.resolve(path.dirname(file), s));
}

test("no server module outside server/cli imports from server/cli", () => {
  const files = sourceFiles(SERVER).filter((f) => !f.startsWith(CLI + path.sep));
  expect(files.length).toBeGreaterThan(20);
  const upward = files.flatMap((f) =>
    relativeImports(f)
      .filter((target) => target === CLI || target.startsWith(CLI + path.sep))
      .map((target) => `${path.relative(SERVER, f)} → ${path.relative(SERVER, target)}`),
  );
  expect(upward).toEqual([]);
});
