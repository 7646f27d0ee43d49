/**
 * Serves the task pane: the built files (dist/addin/), /manifest.xml, /assets/*, the runtime
 * configuration (/addin-config.json) and, in demo/development only, office.js from node_modules
 * and the browser preview (/preview) with its sample messages.
 *
 * Files are read by absolute path from the directories given (never from the request's path
 * beyond a checked relative name), so nothing outside them can be served.
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { Hono, type Context } from "hono";
import type { Config } from "../../config";
import { rewriteManifest } from "../../../addin/manifest/rewrite";
import type { PreviewMessage } from "../../../shared/api/contract";
import { addinConfigSchema, previewMessageSchema } from "../../../shared/api/schemas";
import { PUBLIC, createRoute, file, json, mount, pathParam } from "../operations";

export type { PreviewMessage };

export interface PreviewSource {
  messages(): Promise<PreviewMessage[]>;
}

export interface AddinRoutesOptions {
  config: Config;
  /** The webpack output: dist/addin (relative paths are from the repository root). */
  distDir: string;
  /** node_modules/@microsoft/office-js/dist */
  officeJsDir: string;
  /** Sample messages for /preview (demo mode: the emulator's seeded mail). */
  preview?: PreviewSource;
  /** The development manifest (repo root manifest.xml). */
  devManifestPath?: string;
  /** Icons; defaults to the repo's assets/. */
  assetsDir?: string;
  /** Serve office.js locally and the preview. Default: demo mode or NODE_ENV=development. */
  devTools?: boolean;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
  ".xml": "application/xml; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

/** Resolve `rel` inside `dir`, refusing anything that escapes it. */
export function safeJoin(dir: string, rel: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rel);
  } catch {
    return null;
  }
  if (decoded.includes("\0")) return null;
  const root = path.resolve(dir);
  const full = path.resolve(root, "." + path.posix.normalize("/" + decoded.replace(/\\/g, "/")));
  return full === root || full.startsWith(root + path.sep) ? full : null;
}

async function fileOrNull(full: string | null): Promise<Buffer | null> {
  if (!full) return null;
  try {
    if (!(await stat(full)).isFile()) return null;
    return await readFile(full);
  } catch {
    return null;
  }
}

function send(c: Context, body: Buffer | string, file: string, cache: string) {
  const type = TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream";
  return c.body(typeof body === "string" ? body : new Uint8Array(body), 200, {
    "Content-Type": type,
    "Cache-Control": cache,
    "X-Content-Type-Options": "nosniff",
  });
}

/** The pane's runtime configuration (what AddinConfig in addin/config.ts reads). */
export function addinConfigFor(config: Config) {
  return {
    clientId: config.entra.clientId,
    authority: `${config.entra.authorityHost}/${config.entra.tenant}`,
    apiScope: `api://${config.entra.clientId}/access_as_user`,
    // Same origin → relative URLs (works behind any host name or port); otherwise the API's origin.
    apiBaseUrl: config.publicUrl === config.addinPublicUrl ? "" : config.publicUrl,
    mode: config.mode,
    crmEngagementUrl: config.crmEngagementUrl ?? null,
  };
}

/** Swap the pane's office.js tag for the preview's stand-in (kept out of the built HTML on purpose). */
export function withStandIn(html: string): string {
  // Production builds are minified: attribute quotes may be gone.
  return html.replace(
    /<script id=["']?office-js["']?\s+src=["']?[^"'\s>]+["']?\s*><\/script>/,
    '<script id="office-js" src="/preview/office-standin.js"></script>',
  );
}

const BUILT_FILE = /^[A-Za-z0-9._-]+\.(html|js|css|map|txt)$/;

/** Relative directories are taken from the repository root, not the process's working directory. */
const REPO_ROOT = path.resolve(__dirname, "../../..");

const NOT_FOUND = { description: "Not found (or not in this mode)." };
const page = (path: string, operationId: string, summary: string, type: string, description?: string) =>
  createRoute({
    method: "get",
    path,
    ...PUBLIC,
    operationId,
    summary,
    ...(description ? { description } : {}),
    tags: ["addin"],
    responses: { "200": file(type), "404": NOT_FOUND },
  });

const configOp = createRoute({
  method: "get",
  path: "/addin-config.json",
  ...PUBLIC,
  operationId: "getAddinConfig",
  summary: "The task pane's runtime configuration",
  tags: ["addin"],
  responses: { "200": json(addinConfigSchema) },
});
const manifest = page(
  "/manifest.xml",
  "getManifest",
  "The add-in manifest",
  "application/xml",
  "Production: dist/manifest.xml from `npm run build`; otherwise the development manifest on this server's URL.",
);
const asset = page("/assets/{file}", "getAsset", "Add-in icons", "image/png");
const taskpane = page(
  "/taskpane.html",
  "getTaskpane",
  "The task pane",
  "text/html",
  "With ?preview=1 (demo/development) office.js is replaced by the preview's stand-in.",
);
const paneFile = page(
  "/{file}",
  "getPaneFile",
  "Other built task-pane files (dialog.html, auth.html, support.html, bundles)",
  "text/html",
);
const officeJs = page(
  "/office-js/*",
  "getOfficeJs",
  "office.js from node_modules (demo/development only)",
  "text/javascript",
);
const preview = page("/preview", "getPreview", "Browser preview of the pane (demo/development only)", "text/html");
const previewMessages = createRoute({
  method: "get",
  path: "/preview/messages.json",
  ...PUBLIC,
  operationId: "getPreviewMessages",
  summary: "Sample messages for the preview (demo/development only)",
  tags: ["addin"],
  responses: { "200": json(previewMessageSchema.array()), "404": NOT_FOUND },
});
const standIn = page(
  "/preview/office-standin.js",
  "getOfficeStandIn",
  "The preview's office.js stand-in (demo/development only)",
  "text/javascript",
);

/** The pane's files in the app's OpenAPI description (the preview's only in demo and development). */
export const addinOperations = [
  configOp,
  manifest,
  asset,
  taskpane,
  paneFile,
  officeJs,
  preview,
  previewMessages,
  standIn,
];

export function addinRoutes(opts: AddinRoutesOptions): Hono {
  const { config } = opts;
  const distDir = path.resolve(REPO_ROOT, opts.distDir);
  const officeJsDir = path.resolve(REPO_ROOT, opts.officeJsDir);
  const devTools = opts.devTools ?? (config.mode === "demo" || config.nodeEnv === "development");
  const devManifestPath = path.resolve(REPO_ROOT, opts.devManifestPath ?? "manifest.xml");
  const assetsDir = path.resolve(REPO_ROOT, opts.assetsDir ?? "assets");
  const app = new Hono();
  // Built files change name only on rebuild; short caching keeps a redeploy visible quickly.
  const CACHE = "public, max-age=300";

  mount(app, configOp, (c) => c.json(addinConfigFor(config), 200, { "Cache-Control": "no-store" }));

  mount(app, manifest, async (c) => {
    // Production: the manifest `npm run build` wrote for ADDIN_PUBLIC_URL. Otherwise (and when not
    // built) the development manifest, moved to this server's public URL.
    const built = config.mode === "production" ? await fileOrNull(path.join(distDir, "..", "manifest.xml")) : null;
    if (built) return send(c, built, "manifest.xml", "no-cache");
    const dev = await fileOrNull(devManifestPath);
    if (!dev) return c.json({ error: { code: "not_found", message: "manifest.xml is missing." } }, 404);
    return send(c, rewriteManifest(dev.toString("utf8"), config.addinPublicUrl), "manifest.xml", "no-cache");
  });

  mount(app, asset, async (c) => {
    const file = pathParam(c, "file");
    const body =
      (await fileOrNull(safeJoin(assetsDir, file))) ?? (await fileOrNull(safeJoin(path.join(distDir, "assets"), file)));
    return body ? send(c, body, file, CACHE) : c.json({ error: { code: "not_found", message: "No such asset." } }, 404);
  });

  if (devTools) {
    mount(app, officeJs, async (c) => {
      const rel = c.req.path.slice("/office-js/".length);
      const body = await fileOrNull(safeJoin(officeJsDir, rel));
      return body
        ? send(c, body, rel, CACHE)
        : c.json({ error: { code: "not_found", message: "No such office.js file." } }, 404);
    });
    mount(app, preview, async (c) => {
      const body = await fileOrNull(path.join(distDir, "preview.html"));
      return body ? send(c, body, "preview.html", "no-cache") : notBuilt(c);
    });
    mount(app, previewMessages, async (c) =>
      c.json(opts.preview ? await opts.preview.messages() : [], 200, { "Cache-Control": "no-store" }),
    );
    mount(app, standIn, async (c) => {
      const body = await fileOrNull(path.join(distDir, "office-standin.js"));
      return body ? send(c, body, "office-standin.js", "no-cache") : notBuilt(c);
    });
  }

  mount(app, taskpane, async (c) => {
    const body = await fileOrNull(path.join(distDir, "taskpane.html"));
    if (!body) return notBuilt(c);
    const html = devTools && c.req.query("preview") === "1" ? withStandIn(body.toString("utf8")) : body;
    return send(c, html, "taskpane.html", "no-cache");
  });

  // The rest of the build (dialog.html, auth.html, support.html, bundles). Anything else — other
  // names, /healthz and the like registered earlier — falls through to the app's own routes and 404.
  mount(app, paneFile, async (c, next) => {
    const file = pathParam(c, "file");
    if (!BUILT_FILE.test(file)) return next();
    if (!devTools && file === "office-standin.js") return next();
    const body = await fileOrNull(safeJoin(distDir, file));
    if (!body) return next();
    return send(c, body, file, file.endsWith(".html") ? "no-cache" : CACHE);
  });

  return app;
}

function notBuilt(c: Context) {
  return c.json({ error: { code: "not_built", message: "The task pane is not built yet: run `npm run build`." } }, 503);
}
