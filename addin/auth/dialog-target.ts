/** Only the configured authority's origin may be forwarded to by dialog.html?action=connect (no open redirect). */
export function isAllowedConnectTarget(target: string, authority: string): boolean {
  try {
    const t = new URL(target);
    return t.protocol === "https:" && t.origin === new URL(authority).origin;
  } catch {
    return false;
  }
}
