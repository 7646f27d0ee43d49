/**
 * The production manifest: the development manifest with every https://localhost:3000 URL moved to
 * the public URL the pane is served from (ADDIN_PUBLIC_URL). Pure, so build.ts and the server's
 * /manifest.xml route produce the same bytes and tests can check it without a build.
 *
 * Unlike the yo-office template's regex (which only rewrites URLs ending in "/"), this also rewrites
 * the bare origin in <AppDomain>, which must be an origin even when the public URL has a path.
 */
export const DEV_ORIGIN = "https://localhost:3000";

export function rewriteManifest(xml: string, publicUrl: string): string {
  let url: URL;
  try {
    url = new URL(publicUrl);
  } catch {
    throw new Error(`ADDIN_PUBLIC_URL is not a URL: ${publicUrl}`);
  }
  if (url.protocol !== "https:")
    throw new Error(`ADDIN_PUBLIC_URL must be an https:// URL (Office loads add-ins over HTTPS only): ${publicUrl}`);
  if (url.search || url.hash) throw new Error(`ADDIN_PUBLIC_URL must not have a query or fragment: ${publicUrl}`);
  const base = xmlEscape(`${url.origin}${url.pathname.replace(/\/+$/, "")}`);
  const origin = xmlEscape(url.origin);
  return xml
    .replace(/<AppDomain>\s*https:\/\/localhost:3000\/?\s*<\/AppDomain>/g, `<AppDomain>${origin}</AppDomain>`)
    .replace(/https:\/\/localhost:3000(?=[/"<])/g, base);
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
