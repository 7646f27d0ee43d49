/** @jest-environment node */
// The backend's add-in routes (server/api/routes/addin.ts), against a throwaway dist directory.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseStringPromise } from "xml2js";
import { loadConfig, type Config } from "../../server/config";
import { addinRoutes, safeJoin, withStandIn, type PreviewMessage } from "../../server/api/routes/addin";

const ROOT = path.resolve(__dirname, "../..");
let dir: string;
let dist: string;
let officeJs: string;

function config(env: Record<string, string> = {}): Config {
  const r = loadConfig({ DATA_DIR: dir, ...env });
  if (!r.ok) throw new Error(r.problems.join("; "));
  return r.config;
}

const SAMPLE: PreviewMessage = {
  restItemId: "AAMk-1",
  internetMessageId: "<1@globex.com>",
  subject: "Hello",
  from: { address: "bob@globex.com", name: "Bob" },
  to: [{ address: "alice@contoso.com", name: "Alice" }],
  cc: [],
  dateTimeCreated: "2026-03-02T10:00:00Z",
  itemClass: "IPM.Note",
  mailbox: "alice@contoso.com",
};

beforeAll(() => {
  // Scratch space for a fake build, inside the repo's ignored test-results/ (tests read nothing outside the repo).
  mkdirSync(path.join(ROOT, "test-results"), { recursive: true });
  dir = mkdtempSync(path.join(ROOT, "test-results", "addin-routes-"));
  dist = path.join(dir, "dist", "addin");
  officeJs = path.join(dir, "office-js");
  mkdirSync(dist, { recursive: true });
  mkdirSync(officeJs, { recursive: true });
  writeFileSync(
    path.join(dist, "taskpane.html"),
    '<html><head><script id="office-js" src="/office-js/office.js"></script></head><body></body></html>',
  );
  writeFileSync(path.join(dist, "preview.html"), "<html>preview</html>");
  writeFileSync(path.join(dist, "office-standin.js"), "/* stand-in */");
  writeFileSync(path.join(dist, "taskpane.abc123.js"), "console.log(1)");
  writeFileSync(path.join(officeJs, "office.js"), "/* office */");
  writeFileSync(path.join(dir, "secret.txt"), "secret");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const demoApp = () =>
  addinRoutes({
    config: config(),
    distDir: dist,
    officeJsDir: officeJs,
    preview: { messages: async () => [SAMPLE] },
    devManifestPath: path.join(ROOT, "manifest.xml"),
    assetsDir: path.join(ROOT, "assets"),
  });

const PROD_ENV = {
  ENTRA_CLIENT_ID: "11111111-2222-3333-4444-555555555555",
  ENTRA_CLIENT_SECRET: "s",
  ENTRA_TENANT: "contoso.onmicrosoft.com",
  PUBLIC_URL: "https://api.contoso.com",
  ADDIN_PUBLIC_URL: "https://addin.contoso.com",
};

test("/addin-config.json derives scope and authority from the configuration", async () => {
  const prod = addinRoutes({ config: config(PROD_ENV), distDir: dist, officeJsDir: officeJs });
  const res = await prod.request("/addin-config.json");
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({
    clientId: "11111111-2222-3333-4444-555555555555",
    authority: "https://login.microsoftonline.com/contoso.onmicrosoft.com",
    apiScope: "api://11111111-2222-3333-4444-555555555555/access_as_user",
    apiBaseUrl: "https://api.contoso.com",
    mode: "production",
    crmEngagementUrl: null,
  });
  // Same origin for pane and API → relative.
  const same = await demoApp().request("/addin-config.json");
  expect((await same.json()).apiBaseUrl).toBe("");
});

test("/manifest.xml: development manifest on this server's URL; production one from the build when present", async () => {
  const dev = await demoApp().request("/manifest.xml");
  expect(dev.headers.get("content-type")).toMatch(/xml/);
  const devXml = await dev.text();
  expect((await parseStringPromise(devXml)).OfficeApp.$["xsi:type"]).toBe("MailApp");
  expect(devXml).toContain("https://localhost:3000/taskpane.html");

  const prod = addinRoutes({
    config: config(PROD_ENV),
    distDir: dist,
    officeJsDir: officeJs,
    devManifestPath: path.join(ROOT, "manifest.xml"),
  });
  const unbuilt = await (await prod.request("/manifest.xml")).text();
  expect(unbuilt).toContain("https://addin.contoso.com/taskpane.html");
  writeFileSync(path.join(dir, "dist", "manifest.xml"), "<OfficeApp>built</OfficeApp>");
  expect(await (await prod.request("/manifest.xml")).text()).toBe("<OfficeApp>built</OfficeApp>");
  rmSync(path.join(dir, "dist", "manifest.xml"));
});

test("serves icons, built files and, in demo mode, office.js and the preview with the stand-in", async () => {
  const app = demoApp();
  const icon = await app.request("/assets/icon-32.png");
  expect(icon.status).toBe(200);
  expect(icon.headers.get("content-type")).toBe("image/png");
  expect((await app.request("/taskpane.abc123.js")).status).toBe(200);
  expect(await (await app.request("/office-js/office.js")).text()).toBe("/* office */");
  expect(await (await app.request("/preview")).text()).toContain("preview");
  expect(await (await app.request("/preview/messages.json")).json()).toEqual([SAMPLE]);
  expect(await (await app.request("/taskpane.html")).text()).toContain('src="/office-js/office.js"');
  expect(await (await app.request("/taskpane.html?preview=1")).text()).toContain('src="/preview/office-standin.js"');
  expect(await (await app.request("/preview/office-standin.js")).text()).toBe("/* stand-in */");
});

test("production: no office.js from node_modules, no preview, no stand-in", async () => {
  const app = addinRoutes({ config: config(PROD_ENV), distDir: dist, officeJsDir: officeJs });
  expect((await app.request("/office-js/office.js")).status).toBe(404);
  expect((await app.request("/preview")).status).toBe(404);
  expect((await app.request("/preview/messages.json")).status).toBe(404);
  expect((await app.request("/office-standin.js")).status).toBe(404);
  expect(await (await app.request("/taskpane.html?preview=1")).text()).toContain('src="/office-js/office.js"');
});

test("nothing outside the served directories", async () => {
  const app = demoApp();
  for (const p of [
    "/office-js/..%2Fsecret.txt",
    "/office-js/../secret.txt",
    "/assets/..%2F..%2Fsecret.txt",
    "/..%2Fsecret.txt",
  ]) {
    const res = await app.request(p);
    expect(res.status).toBe(404);
  }
  expect(safeJoin(dist, "../x")).toBe(path.join(dist, "x"));
  expect(safeJoin(dist, "%2e%2e/%2e%2e/secret.txt")).toBe(path.join(dist, "secret.txt"));
  expect(safeJoin(dist, "a\0b")).toBeNull();
  for (const tag of [
    '<script id="office-js" src="https://appsforoffice.microsoft.com/lib/1/hosted/office.js"></script>',
    "<script id=office-js src=https://appsforoffice.microsoft.com/lib/1/hosted/office.js></script>", // minified build
  ]) {
    expect(withStandIn(`<head>${tag}<script defer src=taskpane.js></script>`)).toBe(
      '<head><script id="office-js" src="/preview/office-standin.js"></script><script defer src=taskpane.js></script>',
    );
  }
});
