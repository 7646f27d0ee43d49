import { readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { parseStringPromise } from "xml2js";
import { rewriteManifest, DEV_ORIGIN } from "../../addin/manifest/rewrite";

const root = path.resolve(__dirname, "../..");
const xml = readFileSync(path.join(root, "manifest.xml"), "utf8");

/** Element names of a node's children, in document order. */
async function childOrder(source: string, pick: (doc: any) => any): Promise<string[]> {
  const doc = await parseStringPromise(source, { explicitChildren: true, preserveChildrenOrder: true });
  return (pick(doc).$$ as { "#name": string }[]).map((c) => c["#name"]);
}

/** Every attribute value named `name` anywhere in the tree. */
function collectAttr(node: unknown, name: string, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => collectAttr(n, name, out));
  else if (node && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) {
      if (k === "$" && v && typeof v === "object" && name in v) out.push((v as Record<string, string>)[name]);
      else collectAttr(v, name, out);
    }
  }
  return out;
}

const ORDER = [
  "Id",
  "AlternateId",
  "Version",
  "ProviderName",
  "DefaultLocale",
  "DisplayName",
  "Description",
  "IconUrl",
  "HighResolutionIconUrl",
  "SupportUrl",
  "AppDomains",
  "Hosts",
  "Requirements",
  "FormSettings",
  "Permissions",
  "Rule",
  "DisableEntityHighlighting",
  "VersionOverrides",
];

describe("manifest.xml", () => {
  let app: any;
  let vo11: any;
  beforeAll(async () => {
    app = (await parseStringPromise(xml)).OfficeApp;
    vo11 = app.VersionOverrides[0].VersionOverrides[0];
  });

  test("is a read-mode MailApp with a fixed GUID and ReadItem permission", () => {
    expect(app.$["xsi:type"]).toBe("MailApp");
    expect(app.Id[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(app.Version[0]).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(app.Permissions[0]).toBe("ReadItem");
    expect(app.Hosts[0].Host[0].$.Name).toBe("Mailbox");
    expect(app.Rule[0].Rule[0].$).toMatchObject({ ItemType: "Message", FormType: "Read" });
  });

  test("top-level elements follow the schema order", async () => {
    const names = await childOrder(xml, (d) => d.OfficeApp);
    const known = names.filter((n) => ORDER.includes(n));
    expect(known).toEqual(names); // nothing unknown at the top level
    expect(known).toEqual([...known].sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b)));
  });

  test("V1_1 nested in V1_0 declares Mailbox 1.5 and a pinnable task pane on the read surface", async () => {
    expect(app.VersionOverrides[0].$["xsi:type"]).toBe("VersionOverridesV1_0");
    expect(vo11.$["xsi:type"]).toBe("VersionOverridesV1_1");
    expect(vo11.$.xmlns).toBe("http://schemas.microsoft.com/office/mailappversionoverrides/1.1");
    const sets = vo11.Requirements[0]["bt:Sets"][0];
    expect(sets.$.DefaultMinVersion).toBe("1.5");
    expect(sets["bt:Set"][0].$.Name).toBe("Mailbox");
    const eps = vo11.Hosts[0].Host[0].DesktopFormFactor[0].ExtensionPoint;
    expect(eps.map((e: any) => e.$["xsi:type"])).toEqual(["MessageReadCommandSurface"]);
    const control = eps[0].OfficeTab[0].Group[0].Control[0];
    expect(control.$["xsi:type"]).toBe("Button");
    const action = control.Action[0];
    expect(action.$["xsi:type"]).toBe("ShowTaskpane");
    expect(action.SupportsPinning[0]).toBe("true");
    // SupportsPinning must come after SourceLocation.
    const actionOrder = await childOrder(
      xml,
      (d) =>
        d.OfficeApp.VersionOverrides[0].VersionOverrides[0].Hosts[0].Host[0].DesktopFormFactor[0].ExtensionPoint[0]
          .OfficeTab[0].Group[0].Control[0].Action[0],
    );
    expect(actionOrder).toEqual(["SourceLocation", "SupportsPinning"]);
    // Inside VersionOverrides: Requirements, Hosts, Resources.
    const voOrder = await childOrder(xml, (d) => d.OfficeApp.VersionOverrides[0].VersionOverrides[0]);
    expect(voOrder).toEqual(["Requirements", "Hosts", "Resources"]);
  });

  test("control and group ids are unique", () => {
    const ids = collectAttr(vo11.Hosts, "id");
    expect(ids.length).toBeGreaterThanOrEqual(3);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test("every resid resolves to a resource of the right kind, and every resource is used", () => {
    const res = vo11.Resources[0];
    const ids = (kind: string, child: string) => (res[kind]?.[0]?.[child] ?? []).map((n: any) => n.$.id as string);
    const images = ids("bt:Images", "bt:Image"),
      urls = ids("bt:Urls", "bt:Url");
    const strings = [...ids("bt:ShortStrings", "bt:String"), ...ids("bt:LongStrings", "bt:String")];
    const referenced = collectAttr(vo11.Hosts, "resid");
    expect(referenced.length).toBeGreaterThan(0);
    const all = [...images, ...urls, ...strings];
    for (const r of referenced) expect(all).toContain(r);
    for (const id of all) expect(referenced).toContain(id);
    expect(new Set(all).size).toBe(all.length);
    // Icon sizes on the button: 16, 32 and 80 (the ribbon's required set).
    const control = vo11.Hosts[0].Host[0].DesktopFormFactor[0].ExtensionPoint[0].OfficeTab[0].Group[0].Control[0];
    const icons = control.Icon[0]["bt:Image"].map((i: any) => i.$.size);
    expect(icons).toEqual(["16", "32", "80"]);
    const taskpaneResid = control.Action[0].SourceLocation[0].$.resid;
    expect(urls).toContain(taskpaneResid);
  });

  test("every URL is on the development origin and every icon points at a PNG in assets/ of the declared size", () => {
    const urls = [...xml.matchAll(/(?:DefaultValue="|<AppDomain>)(https?:\/\/[^"<]+)/g)].map((m) => m[1]);
    expect(urls.length).toBeGreaterThan(6);
    for (const u of urls) expect(u.startsWith(DEV_ORIGIN)).toBe(true);
    expect(xml).toContain(`"${DEV_ORIGIN}/taskpane.html"`);
    const iconUrls = urls.filter((u) => u.includes("/assets/"));
    const sizes = new Set<number>();
    for (const u of iconUrls) {
      const file = path.join(root, new URL(u).pathname);
      expect(existsSync(file)).toBe(true);
      const png = readFileSync(file);
      expect(png.subarray(1, 4).toString("ascii")).toBe("PNG");
      const width = png.readUInt32BE(16),
        height = png.readUInt32BE(20);
      expect(width).toBe(height);
      expect(path.basename(file)).toBe(`icon-${width}.png`);
      sizes.add(width);
    }
    expect([...sizes].sort((a, b) => a - b)).toEqual([16, 32, 64, 80, 128]);
  });
});

describe("rewriteManifest", () => {
  test("moves every URL and the AppDomain to the public URL, and changes nothing else", async () => {
    const prod = rewriteManifest(xml, "https://addin.contoso.com/capture/");
    expect(prod.replace(/<!--[\s\S]*?-->/g, "")).not.toContain("localhost");
    expect(prod).toContain('DefaultValue="https://addin.contoso.com/capture/taskpane.html"');
    expect(prod).toContain('DefaultValue="https://addin.contoso.com/capture/assets/icon-16.png"');
    // An AppDomain is an origin, even when the pane lives under a path.
    expect(prod).toContain("<AppDomain>https://addin.contoso.com</AppDomain>");
    // Same structure: only the URLs differ.
    const strip = (s: string) => s.replace(/https:\/\/[^"<]+/g, "URL");
    expect(strip(prod)).toBe(strip(xml));
    const app = (await parseStringPromise(prod)).OfficeApp;
    expect(app.Id[0]).toBe((await parseStringPromise(xml)).OfficeApp.Id[0]);
  });

  test("keeps a port and escapes XML-special characters", () => {
    const prod = rewriteManifest(xml, "https://a.example:8443/x&y");
    expect(prod).toContain('"https://a.example:8443/x&amp;y/taskpane.html"');
    expect(prod).toContain("<AppDomain>https://a.example:8443</AppDomain>");
  });

  test("refuses plain http, queries and non-URLs", () => {
    expect(() => rewriteManifest(xml, "http://addin.contoso.com")).toThrow(/https/);
    expect(() => rewriteManifest(xml, "https://addin.contoso.com/?a=1")).toThrow(/query/);
    expect(() => rewriteManifest(xml, "addin.contoso.com")).toThrow(/not a URL/);
  });
});
