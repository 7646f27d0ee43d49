/** @jest-environment jsdom */
// The real msal-browser provider in jsdom (toolchain.md §4: jsdom lacks WebCrypto → use Node's).
import { webcrypto } from "node:crypto";
import { TextDecoder, TextEncoder } from "node:util";
import { createTokenProvider } from "../../addin/auth/msal";
import { isInteractionRequired } from "../../addin/auth/types";
import { CONFIG } from "./helpers";

beforeAll(() => {
  Object.defineProperty(window, "crypto", { value: webcrypto, configurable: true });
  Object.assign(globalThis, { TextEncoder, TextDecoder });
});

test("standard MSAL against the configured authority: no cached account → sign-in required, without network", async () => {
  const provider = await createTokenProvider(CONFIG, { strategy: "browser", loginHint: "alice@contoso.com", baseUrl: "https://localhost:3000/" });
  expect(provider.strategy).toBe("browser");
  const err = await provider.getToken().catch((e: unknown) => e);
  expect(isInteractionRequired(err)).toBe(true);
});

test("dialog strategy: no token until the dialog signed in", async () => {
  const provider = await createTokenProvider(CONFIG, { strategy: "dialog", baseUrl: "https://localhost:3000/" });
  expect(isInteractionRequired(await provider.getToken().catch((e: unknown) => e))).toBe(true);
});
