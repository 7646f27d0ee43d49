/** @jest-environment jsdom */
// The Office wrappers against office-addin-mock, and the auth strategy choice.
import { officeAsync, OfficeAsyncError } from "../../addin/office/async";
import { readOpenMessage, toStatusRequest } from "../../addin/office/message";
import { officeThemeKind, themeKindFor } from "../../addin/office/theme";
import { chooseAuthStrategy, knownAuthoritiesFor } from "../../addin/auth/strategy";
import { createApiClient, ApiError, isSignInRequired } from "../../addin/api/client";
import { describeError, SERVER_UNREACHABLE } from "../../addin/state/errors";
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
  await expect(
    officeAsync<number>((cb) =>
      cb({ status: Office.AsyncResultStatus.Succeeded, value: 7 } as Office.AsyncResult<number>),
    ),
  ).resolves.toBe(7);
  const failed = officeAsync<number>((cb) =>
    cb({
      status: Office.AsyncResultStatus.Failed,
      value: 0,
      error: { code: 9041, message: "Denied", name: "PermissionDenied" },
    } as unknown as Office.AsyncResult<number>),
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

test("theme: Office's when the host gives one, else the system's light/dark preference", () => {
  const prefersDark = jest.fn(() => ({ matches: true }) as MediaQueryList);
  Object.defineProperty(window, "matchMedia", { value: prefersDark, configurable: true });
  try {
    installOutlook({ bodyBackgroundColor: "#ffffff" });
    expect(officeThemeKind()).toBe("light");
    installOutlook({ bodyBackgroundColor: "#1f1f1f" });
    expect(officeThemeKind()).toBe("dark");
    uninstallOutlook();
    expect(officeThemeKind()).toBe("dark");
    expect(prefersDark).toHaveBeenCalledWith("(prefers-color-scheme: dark)");
  } finally {
    delete (window as { matchMedia?: unknown }).matchMedia;
  }
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
    expect(isAllowedConnectTarget("https://login.microsoftonline.com/x/oauth2/v2.0/authorize?a=1", authority)).toBe(
      true,
    );
    expect(isAllowedConnectTarget("https://evil.example/authorize", authority)).toBe(false);
    expect(isAllowedConnectTarget("http://login.microsoftonline.com/x", authority)).toBe(false);
    expect(isAllowedConnectTarget("javascript:alert(1)", authority)).toBe(false);
  });
});

describe("API client", () => {
  test("sends the bearer token, retries once with a fresh token after a 401, parses error bodies", async () => {
    let n = 0;
    const backend = new FakeBackend().on("GET", "/api/me", (c) =>
      c.auth === "Bearer fresh"
        ? { body: { ok: true } }
        : { status: 401, body: { error: { code: "invalid_token", message: "Token expired." } } },
    );
    const auth = {
      getToken: jest.fn(async (o?: { forceRefresh?: boolean }) => (o?.forceRefresh ? "fresh" : `stale${++n}`)),
    };
    const api = createApiClient({ baseUrl: "https://api.example", auth, fetch: backend.fetch });
    await expect(api.me()).resolves.toEqual({ ok: true });
    expect(auth.getToken).toHaveBeenLastCalledWith({ forceRefresh: true });

    const denied = createApiClient({ baseUrl: "", auth: { getToken: async () => "x" }, fetch: backend.fetch });
    const err = await denied.me().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    // Still refused with a fresh token: a sentence that leads to Sign in, the server's code kept for support.
    expect(err).toMatchObject({
      status: 401,
      code: "invalid_token",
      message: "Your sign-in has expired. Sign in again to continue.",
    });
    expect(isSignInRequired(err)).toBe(true);
  });
  test("a non-JSON error body still gives a readable error", async () => {
    const fetch = (async () => ({
      status: 502,
      ok: false,
      text: async () => "<html>Bad gateway</html>",
    })) as unknown as typeof globalThis.fetch;
    const api = createApiClient({ baseUrl: "", auth: { getToken: async () => "t" }, fetch });
    await expect(api.listClients()).rejects.toMatchObject({
      status: 502,
      code: "http_502",
      message: "Engagement Capture's server can't be reached right now. Try again in a moment.",
    });
  });
  test("fetch failing (offline, blocked) is a sentence about the server, never fetch's own words", async () => {
    const fetch = (async () => {
      throw new TypeError("Failed to fetch");
    }) as unknown as typeof globalThis.fetch;
    const api = createApiClient({ baseUrl: "", auth: { getToken: async () => "t" }, fetch });
    const err = await api.me().catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 0, code: "network_error" });
    expect(describeError(err)).toEqual({
      text: "Engagement Capture's server can't be reached. Check your connection and try again.",
      code: "network_error",
    });
    // The same for a fetch outside the API client (the pane's start-up reads its configuration).
    expect(describeError(new TypeError("Failed to fetch")).text).toBe(SERVER_UNREACHABLE);
  });
});
