/** Runtime configuration of the pane, served by the backend at /addin-config.json. */
import { PaneError } from "./state/errors";

export interface AddinConfig {
  clientId: string;
  authority: string;
  /** api://<clientId>/access_as_user */
  apiScope: string;
  /** "" = same origin as the pane. */
  apiBaseUrl: string;
  mode: "demo" | "production";
  /** Link template for an engagement in the CRM ("…{id}…"), or null when none is configured. */
  crmEngagementUrl?: string | null;
}

export async function loadAddinConfig(
  baseUrl = "",
  doFetch: typeof fetch = (i, init) => fetch(i, init),
): Promise<AddinConfig> {
  const res = await doFetch(`${baseUrl}/addin-config.json`, { headers: { Accept: "application/json" } });
  if (!res.ok)
    throw new PaneError(
      `config_http_${res.status}`,
      "Engagement Capture couldn't load its settings from the server. Try again in a moment.",
    );
  const c = (await res.json()) as Partial<AddinConfig>;
  if (!c.clientId || !c.authority || !c.apiScope) {
    throw new PaneError(
      "config_incomplete",
      "Engagement Capture's server is missing its sign-in settings (clientId, authority, apiScope). Ask an administrator.",
    );
  }
  return {
    clientId: c.clientId,
    authority: c.authority,
    apiScope: c.apiScope,
    apiBaseUrl: c.apiBaseUrl ?? "",
    mode: c.mode === "production" ? "production" : "demo",
    crmEngagementUrl:
      typeof c.crmEngagementUrl === "string" && c.crmEngagementUrl.includes("{id}") ? c.crmEngagementUrl : null,
  };
}
