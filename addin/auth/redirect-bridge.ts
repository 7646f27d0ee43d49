/**
 * auth.html: MSAL's popup redirect target. msal-browser 5 no longer reads the popup's URL from the
 * opener; the redirect page itself broadcasts the response back to the waiting page.
 */
import { broadcastResponseToMainFrame } from "@azure/msal-browser/redirect-bridge";

broadcastResponseToMainFrame().catch((e: unknown) => {
  const el = document.getElementById("status");
  // Plain words, MSAL's code for support; not MSAL's message (it links to aka.ms pages).
  const code =
    e && typeof e === "object" && typeof (e as { errorCode?: unknown }).errorCode === "string"
      ? ` (${(e as { errorCode: string }).errorCode})`
      : "";
  if (el) el.textContent = `Sign-in could not finish${code}. Close this window and try again.`;
});
