/** What the components get from outside: the API client, the token provider, the config. */
import { createContext, useContext } from "react";
import type { ApiClient } from "../api/client";
import type { ManageClient } from "../api/manage";
import type { TokenProvider } from "../auth/types";
import type { AddinConfig } from "../config";

export interface PaneServices {
  api: ApiClient;
  /** Changes to contacts, clients and the blocklist (api/manage.ts). */
  manage: ManageClient;
  auth: TokenProvider;
  config: AddinConfig;
}

export const ServicesContext = createContext<PaneServices | null>(null);

export function useServices(): PaneServices {
  const s = useContext(ServicesContext);
  if (!s) throw new Error("PaneServices missing: wrap the pane in <ServicesContext.Provider>.");
  return s;
}
