/** @jest-environment jsdom */
// The Office wrappers against office-addin-mock, and the auth strategy choice.
import { officeAsync, OfficeAsyncError } from "../../addin/office/async";
import { readOpenMessage, toStatusRequest } from "../../addin/office/message";
import { themeKindFor } from "../../addin/office/theme";
import { chooseAuthStrategy, knownAuthoritiesFor } from "../../addin/auth/strategy";
import { createApiClient, ApiError } from "../../addin/api/client";
import { isAllowedConnectTarget } from "../../addin/auth/dialog-target";
import { FakeBackend, installOutlook, sampleItem, uninstallOutlook } from "./helpers";

afterEach(() => uninstallOutlook());

describe("readOpenMessage", () => {
  test("converts the EWS id to a REST id on desktop/web", () => {
    installOutlook({ item: sampleItem(5) });
    const m = readOpenMessage()!;
    expect(m.restItemId).toBe("rest(v2.0):AAMkAD=EWS/id+5");
    expect(m.from).toEqual({ address: "bob@globex.com", name: "Bob Stone" });
  });
  test("on mobile the item id already is the REST id (convertToRestId is not available there)", () => {
    const o = installOutlook({ item: sampleItem(5), hostName: "OutlookAndroid" });
    o.office.context.mailbox.convertToRestId = () => {
      throw new Error("not on mobile");
    };
    expect(readOpenMessage()!.restItemId).toBe("AAMkAD=EWS/id+5");
  });
  test("a restricted convertToRestId leaves restItemId null rather than failing", () => {
    const o = installOutlook();
    o.office.context.mailbox.convertToRestId = () => {
      throw new Error("restricted");
    };
    const m = readOpenMessage()!;
    expect(m.restItemId).toBeNull();
    expect(toStatusRequest(m)).not.toHaveProperty("restItemId");
  });
  test("no item, an appointment, or outside Office → null", () => {
    installOutlook({ item: null });
    expect(readOpenMessage()).toBeNull();
    installOutlook({ item: sampleItem(1, { itemType: "appointment" }) });
    expect(readOpenMessage()).toBeNull();
    uninstallOutlook();
    expect(readOpenMessage()).toBeNull();
  });
});

test("officeAsync resolves on success and rejects with Office's error", async () => {
  installOutlook();
  await expect(officeAsync<number>((cb) => cb({ status: Office.AsyncResultStatus.Succeeded, value: 7 } as Office.AsyncResult<number>))).resolves.toBe(7);
  const failed = officeAsync<number>((cb) =>
    cb({ status: Office.AsyncResultStatus.Failed, value: 0, error: { code: 9041, message: "Denied", name: "PermissionDenied" } } as unknown as Office.AsyncResult<number>),
  );
  await expect(failed).rejects.toBeInstanceOf(OfficeAsyncError);
  await expect(failed).rejects.toMatchObject({ code: 9041, message: "Denied" });
});

test("Office theme → Fluent theme by background luminance", () => {
  expect(themeKindFor("#ffffff")).toBe("light");
  expect(themeKindFor("#1f1f1f")).toBe("dark");
  expect(themeKindFor("#333")).toBe("dark");
  expect(themeKindFor("#e6e6e6")).toBe("light");
  expect(themeKindFor(undefined)).toBe("light");
  expect(themeKindFor("not a colour")).toBe("light");
});

describe("auth strategy", () => {
  test("NAA when NestedAppAuth 1.1 is supported", () => {
    installOutlook({ sets: { NestedAppAuth: true, DialogApi: true } });
    expect(chooseAuthStrategy()).toBe("naa");
  });
  test("Office dialog when only the Dialog API is", () => {
    installOutlook({ sets: { DialogApi: true } });
    expect(chooseAuthStrategy()).toBe("dialog");
  });
  test("standard MSAL in a plain browser and in the preview's stand-in", () => {
    expect(chooseAuthStrategy()).toBe("browser");
    installOutlook({ sets: { Mailbox: true } });
    expect(chooseAuthStrategy()).toBe("browser");
  });
  test("the configured authority host is trusted (national clouds, the emulator)", () => {
    expect(knownAuthoritiesFor("https://localhost:4443/organizations")).toEqual(["localhost:4443"]);
  });
  test("the connect trampoline forwards only to the authority's origin", () => {
    const authority = "https://login.microsoftonline.com/organizations";
    expect(isAllowedConnectTarget("https://login.microsoftonline.com/x/oauth2/v2.0/authorize?a=1", authority)).toBe(true);
    expect(isAllowedConnectTarget("https://evil.example/authorize", authority)).toBe(false);
    expect(isAllowedConnectTarget("http://login.microsoftonline.com/x", authority)).toBe(false);
    expect(isAllowedConnectTarget("javascript:alert(1)", authority)).toBe(false);
  });
});

describe("API client", () => {
  test("sends the bearer token, retries once with a fresh token after a 401, parses error bodies", async () => {
    let n = 0;
    const backend = new FakeBackend().on("GET", "/api/me", (c) =>
      c.auth === "Bearer fresh" ? { body: { ok: true } } : { status: 401, body: { error: { code: "invalid_token", message: "Token expired." } } },
    );
    const auth = { getToken: jest.fn(async (o?: { forceRefresh?: boolean }) => (o?.forceRefresh ? "fresh" : `stale${++n}`)) };
    const api = createApiClient({ baseUrl: "https://api.example", auth, fetch: backend.fetch });
    await expect(api.me()).resolves.toEqual({ ok: true });
    expect(auth.getToken).toHaveBeenLastCalledWith({ forceRefresh: true });

    const denied = createApiClient({ baseUrl: "", auth: { getToken: async () => "x" }, fetch: backend.fetch });
    const err = await denied.me().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 401, code: "invalid_token", message: "Token expired." });
  });
  test("a non-JSON error body still gives a readable error", async () => {
    const fetch = (async () => ({ status: 502, ok: false, text: async () => "<html>Bad gateway</html>" })) as unknown as typeof globalThis.fetch;
    const api = createApiClient({ baseUrl: "", auth: { getToken: async () => "t" }, fetch });
    await expect(api.listClients()).rejects.toMatchObject({ status: 502, code: "http_502", message: "The server answered 502." });
  });
});
