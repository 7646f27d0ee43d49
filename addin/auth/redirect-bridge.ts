/**
 * auth.html: MSAL's popup redirect target. msal-browser 5 no longer reads the popup's URL from the
 * opener; the redirect page itself broadcasts the response back to the waiting page.
 */
import { broadcastResponseToMainFrame } from "@azure/msal-browser/redirect-bridge";

broadcastResponseToMainFrame().catch((e: unknown) => {
  const el = document.getElementById("status");
  if (el) el.textContent = `Sign-in could not finish: ${e instanceof Error ? e.message : String(e)}`;
});
