/** @jest-environment jsdom */
// The real msal-browser provider in jsdom (jsdom lacks WebCrypto: use Node's).
import { webcrypto } from "node:crypto";
import { TextDecoder, TextEncoder } from "node:util";
import { createTokenProvider } from "../../addin/auth/msal";
import { isInteractionRequired } from "../../addin/auth/types";
import { describeError } from "../../addin/state/errors";
import { CONFIG, installOutlook, uninstallOutlook } from "./helpers";

beforeAll(() => {
  Object.defineProperty(window, "crypto", { value: webcrypto, configurable: true });
  Object.assign(globalThis, { TextEncoder, TextDecoder });
});

test("standard MSAL against the configured authority: no cached account → sign-in required, without network", async () => {
  const provider = await createTokenProvider(CONFIG, {
    strategy: "browser",
    loginHint: "alice@contoso.com",
    baseUrl: "https://localhost:3000/",
  });
  expect(provider.strategy).toBe("browser");
  const err = await provider.getToken().catch((e: unknown) => e);
  expect(isInteractionRequired(err)).toBe(true);
});

test("dialog strategy: no token until the dialog signed in", async () => {
  const provider = await createTokenProvider(CONFIG, { strategy: "dialog", baseUrl: "https://localhost:3000/" });
  expect(isInteractionRequired(await provider.getToken().catch((e: unknown) => e))).toBe(true);
});

test("dialog strategy: closing the sign-in dialog is 'Sign-in was cancelled.', never a raw message", async () => {
  const outlook = installOutlook();
  try {
    const provider = await createTokenProvider(CONFIG, { strategy: "dialog", baseUrl: "https://localhost:3000/" });
    const pending = provider.signIn().catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 0));
    outlook.dialogs[0].handlers.dialogEventReceived({ error: 12006 });
    const err = await pending;
    expect(err).toMatchObject({ errorCode: "user_cancelled" });
    expect(describeError(err)).toEqual({ text: "Sign-in was cancelled.", code: "user_cancelled" });
  } finally {
    uninstallOutlook();
  }
});

test("dialog strategy: an MSAL failure inside the dialog reaches the pane as its code, worded by the pane", async () => {
  const outlook = installOutlook();
  try {
    const provider = await createTokenProvider(CONFIG, { strategy: "dialog", baseUrl: "https://localhost:3000/" });
    const pending = provider.signIn().catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 0));
    const raw = "access_denied: See https://aka.ms/msal.js.errors#access_denied for details";
    outlook.dialogs[0].handlers.dialogMessageReceived({
      message: JSON.stringify({ type: "error", message: raw, code: "access_denied" }),
    });
    const { text, code } = describeError(await pending);
    expect(code).toBe("access_denied");
    expect(text).not.toContain("aka.ms");
    expect(text).toMatch(/^Sign-in was refused/);
  } finally {
    uninstallOutlook();
  }
});
