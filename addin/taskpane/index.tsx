/**
 * Task pane entry: wait for Office.onReady (office.js, or the preview's stand-in), load the runtime
 * configuration from the backend, build the token provider and API client, render.
 */
import { createRoot } from "react-dom/client";
import { FluentProvider, webDarkTheme, webLightTheme } from "@fluentui/react-components";
import { createApiClient } from "../api/client";
import { createManageClient } from "../api/manage";
import { createTokenProvider } from "../auth/msal";
import { App } from "../components/App";
import { ErrorBar } from "../components/ErrorBar";
import { Loading } from "../components/Loading";
import { loadAddinConfig } from "../config";
import { officeThemeKind } from "../office/theme";

/** The directory the pane is served from, without trailing slash: config and dialogs live beside it. */
const baseDir = `${window.location.origin}${window.location.pathname.replace(/[^/]*$/, "")}`.replace(/\/$/, "");

async function start() {
  const root = createRoot(document.getElementById("root")!);
  // Office's theme is known once Office.onReady has run: the skeleton and any start-up error use it
  // too, so a dark Outlook never flashes a white pane.
  const kind = officeThemeKind();
  const theme = kind === "dark" ? webDarkTheme : webLightTheme;
  // Shell first: skeletons while the configuration and MSAL (a separate chunk) load.
  root.render(
    <FluentProvider theme={theme}>
      <main style={{ padding: 12, minHeight: "100vh", boxSizing: "border-box" }}>
        <Loading label="Starting Engagement Capture" rows={4} />
      </main>
    </FluentProvider>,
  );
  try {
    const config = await loadAddinConfig(baseDir);
    const auth = await createTokenProvider(config);
    const api = createApiClient({ baseUrl: config.apiBaseUrl, auth });
    const manage = createManageClient({ baseUrl: config.apiBaseUrl, auth });
    root.render(<App services={{ api, manage, auth, config }} theme={kind} />);
  } catch (e) {
    root.render(
      <FluentProvider theme={theme}>
        <main style={{ padding: 12, minHeight: "100vh", boxSizing: "border-box" }}>
          <ErrorBar error={e} title="The pane couldn't start" onRetry={() => window.location.reload()} />
        </main>
      </FluentProvider>,
    );
  }
}

// office.js missing (blocked script) should still show an error rather than a blank pane.
if (typeof Office !== "undefined" && Office.onReady) void Office.onReady().then(start);
else void start();
