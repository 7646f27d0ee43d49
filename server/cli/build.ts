/**
 * `npm run build`: the task pane's production bundle (webpack → dist/addin/) and the production
 * manifest (dist/manifest.xml) with every URL and AppDomain on ADDIN_PUBLIC_URL (default: PUBLIC_URL,
 * else https://localhost:$PORT, as config.ts reads them: malformed settings stop the build, one line each).
 * Prints each bundle's size, raw and gzip, against the pane's 200 KB gzip budget. `buildAddin` is
 * exported for `npm start` (build what is not built).
 */
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { gzipSync } from "node:zlib";
import webpack from "webpack";
import { rewriteManifest } from "../../addin/manifest/rewrite";
import { loadConfig } from "../config";
import { BUILD_STAMP } from "./build-stamp";

const ROOT = path.resolve(__dirname, "../..");
export const PANE_BUDGET_GZIP = 200 * 1024;

export interface BundleSize {
  file: string;
  bytes: number;
  gzip: number;
}

export interface BuildResult {
  distDir: string;
  manifestPath: string;
  publicUrl: string;
  sizes: BundleSize[];
  /** gzip bytes of the JavaScript the task pane page loads before its first render. */
  paneGzip: number;
  /** …plus MSAL, loaded right after (needed for the first API call). */
  paneWithMsalGzip: number;
}

/** The URL the pane is built for: the configured ADDIN_PUBLIC_URL (config.ts). */
function configuredPublicUrl(): string {
  const loaded = loadConfig(process.env);
  if (!loaded.ok) throw new Error(loaded.problems.join("; "));
  return loaded.config.addinPublicUrl;
}

function runWebpack(mode: "production" | "development"): Promise<void> {
  const require = createRequire(__filename);
  const makeConfig = require(path.join(ROOT, "webpack.config.js")) as (
    env: unknown,
    argv: { mode: string },
  ) => webpack.Configuration;
  const config = makeConfig({}, { mode });
  return new Promise((resolve, reject) => {
    webpack(config, (err, stats) => {
      if (err) return reject(err);
      if (!stats) return reject(new Error("webpack returned no stats"));
      const info = stats.toJson({ all: false, errors: true, warnings: true });
      for (const w of info.warnings ?? []) console.warn(`warning: ${w.message}`);
      if (stats.hasErrors()) return reject(new Error((info.errors ?? []).map((e) => e.message).join("\n")));
      resolve();
    });
  });
}

/** JS files the given HTML page loads (the html plugin injects them as <script src>). */
function scriptsOf(distDir: string, page: string): string[] {
  const html = readFileSync(path.join(distDir, page), "utf8");
  return [...html.matchAll(/<script[^>]*\ssrc=["']?([^"'\s>]+)/g)]
    .map((m) => m[1])
    .filter((src) => !/^https?:|^\//.test(src));
}

export async function buildAddin(
  opts: { publicUrl?: string; mode?: "production" | "development"; quiet?: boolean } = {},
): Promise<BuildResult> {
  const publicUrl = opts.publicUrl ?? configuredPublicUrl();
  // Fail on a bad URL before spending the build time.
  const manifest = rewriteManifest(readFileSync(path.join(ROOT, "manifest.xml"), "utf8"), publicUrl);
  await runWebpack(opts.mode ?? "production");
  const distDir = path.join(ROOT, "dist", "addin");
  mkdirSync(path.dirname(distDir), { recursive: true });
  const manifestPath = path.join(ROOT, "dist", "manifest.xml");
  writeFileSync(manifestPath, manifest);

  const sizes = readdirSync(distDir)
    .filter((f) => f.endsWith(".js") && statSync(path.join(distDir, f)).isFile())
    .map((file) => {
      const buf = readFileSync(path.join(distDir, file));
      return { file, bytes: buf.length, gzip: gzipSync(buf, { level: 9 }).length };
    })
    .sort((a, b) => b.gzip - a.gzip);
  const paneScripts = new Set(scriptsOf(distDir, "taskpane.html"));
  // Before first render: the page's own scripts. Then MSAL (needed for the first API call); the
  // track form, contacts and (administrators) mailbox health chunks load only when used.
  const paneGzip = sizes.filter((s) => paneScripts.has(s.file)).reduce((n, s) => n + s.gzip, 0);
  const msalGzip = sizes.filter((s) => s.file.startsWith("msal.")).reduce((n, s) => n + s.gzip, 0);

  if (!opts.quiet) {
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
    console.log(`Built the task pane (${opts.mode ?? "production"}) into ${path.relative(ROOT, distDir)}/`);
    for (const s of sizes)
      console.log(`  ${s.file.padEnd(36)} ${kb(s.bytes).padStart(10)}  gzip ${kb(s.gzip).padStart(9)}`);
    const verdict = (n: number) => (n <= PANE_BUDGET_GZIP ? "within" : "OVER");
    console.log(
      `Task pane JavaScript before first render: ${kb(paneGzip)} gzip (${verdict(paneGzip)} the ${kb(PANE_BUDGET_GZIP)} budget)`,
    );
    console.log(
      `  + MSAL before the first API call: ${kb(paneGzip + msalGzip)} gzip (${verdict(paneGzip + msalGzip)} the budget)`,
    );
    console.log(`Production manifest: ${path.relative(ROOT, manifestPath)} (URLs on ${publicUrl})`);
  }
  // Only a production build is what `npm start` serves; a development build leaves it to rebuild.
  if ((opts.mode ?? "production") === "production") writeFileSync(BUILD_STAMP, publicUrl);
  else rmSync(BUILD_STAMP, { force: true });
  return { distDir, manifestPath, publicUrl, sizes, paneGzip, paneWithMsalGzip: paneGzip + msalGzip };
}

if (require.main === module) {
  const loaded = loadConfig(process.env);
  if (!loaded.ok) {
    for (const p of loaded.problems) console.error(`config: ${p}`);
    process.exit(1);
  }
  buildAddin({ publicUrl: loaded.config.addinPublicUrl }).catch((e: unknown) => {
    console.error(`Build failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
