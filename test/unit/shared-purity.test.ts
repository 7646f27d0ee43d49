/**
 * shared/ is the pure core used by both the pane and the server: it must not import server/, addin/,
 * emulator/ or any Node I/O module, so it stays synchronous and bundles into the pane.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const root = path.join(__dirname, "../../shared");
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}
const importsOf = (src: string) =>
  [...src.matchAll(/(?:import|export)[^'"]*from\s+["']([^"']+)["']|require\(["']([^"']+)["']\)/g)].map(
    (m) => m[1] ?? m[2],
  );

test.each(files(root).map((f) => [path.relative(root, f), f]))("shared/%s imports only shared code", (_name, file) => {
  const specs = importsOf(readFileSync(file, "utf8"));
  for (const spec of specs) {
    if (spec.startsWith(".")) {
      const target = path.resolve(path.dirname(file), spec);
      expect(target.startsWith(root + path.sep)).toBe(true);
    } else {
      // Only type-level or pure packages; never Node I/O.
      expect(spec).not.toMatch(/^(node:)?(fs|net|http|https|child_process|crypto|path|os|tls|dns)(\/|$)/);
    }
  }
});
