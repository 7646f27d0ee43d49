/**
 * `npm run emulator`: the emulator standalone on a fixed port (EMULATOR_PORT, default 8443) with the
 * sample dataset. Writes the CA to a file for NODE_EXTRA_CA_CERTS and prints what a developer needs.
 * EMULATOR_CA_FILE overrides where the CA goes; EMULATOR_REDIRECT_URIS (comma-separated) replaces the
 * app's web redirect URIs. EMULATOR_ISSUER_HOST (or `--issuer-host <host>`) makes tokens and the OpenID
 * metadata name another issuer host than the sign-in host, as national clouds do. EMULATOR_NOTIFICATION_CA_FILE
 * (or `--notification-ca <file[,file]>`) adds CAs trusted for change-notification URLs.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEmulator } from "./index";
import { SAMPLE_CLIENT_ID, SAMPLE_CLIENT_SECRET, SAMPLE_TENANT_ID, sampleDataset } from "./sample-data";

/** The value after a command-line flag (`--name value` or `--name=value`). */
function flag(name: string): string | undefined {
  const args = process.argv.slice(2);
  const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return undefined;
  return args[i].includes("=") ? args[i].slice(name.length + 1) : args[i + 1];
}

async function main(): Promise<void> {
  const port = Number(process.env.EMULATOR_PORT ?? 8443);
  const redirectUris = process.env.EMULATOR_REDIRECT_URIS?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const issuerHost = flag("--issuer-host") ?? process.env.EMULATOR_ISSUER_HOST;
  // The server under test's CA, so change notifications reach its HTTPS notification URL.
  const caFiles = (flag("--notification-ca") ?? process.env.EMULATOR_NOTIFICATION_CA_FILE ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const notificationCaPem = caFiles.map((f) => fs.readFileSync(f, "utf8"));
  const emulator = await startEmulator({
    port,
    dataset: sampleDataset({ redirectUris }),
    issuerHost,
    notificationCaPem,
  });
  const caFile = process.env.EMULATOR_CA_FILE ?? path.join(os.tmpdir(), "m365-emulator-ca.pem");
  fs.writeFileSync(caFile, emulator.caPem);
  const st = emulator.state;
  const lines = [
    `Microsoft 365 emulator listening on ${emulator.url}`,
    ``,
    `  Authority (Entra v2):  ${emulator.url}/${SAMPLE_TENANT_ID}   (ENTRA_AUTHORITY_HOST=${emulator.url})`,
    `                            (also ${emulator.url}/contoso.onmicrosoft.com, /organizations, /common)`,
    `  OpenID configuration:  ${emulator.url}/${SAMPLE_TENANT_ID}/v2.0/.well-known/openid-configuration`,
    ...(issuerHost
      ? [`  Token issuer:          ${emulator.state.issuerV2(SAMPLE_TENANT_ID)}   (differs from the sign-in host)`]
      : []),
    `  Graph:                 ${emulator.url}/v1.0   (GRAPH_BASE_URL=${emulator.url}: the host only; the backend adds /v1.0)`,
    `  Control API:           ${emulator.url}/_emulator/state`,
    ``,
    `  Tenant:         ${SAMPLE_TENANT_ID} (contoso)`,
    `  Client id:      ${SAMPLE_CLIENT_ID}`,
    `  Client secret:  ${SAMPLE_CLIENT_SECRET}`,
    `  Redirect URIs:  ${[...st.apps.get(SAMPLE_CLIENT_ID)!.redirectUris].join(", ")}`,
    `  SPA redirects:  ${[...st.apps.get(SAMPLE_CLIENT_ID)!.spaRedirectUris].join(", ")}`,
    `  CA file:        ${caFile}   (export NODE_EXTRA_CA_CERTS=${caFile})`,
    ``,
    `  Users:`,
    ...[...st.users.values()].map(
      (u) =>
        `    ${u.displayName.padEnd(14)} ${u.userPrincipalName.padEnd(30)} oid ${u.id}  ${st.getMessages(u.id).length} messages${u.mailboxEnabled ? "" : "  (no mailbox)"}`,
    ),
    ``,
    `Press Ctrl-C to stop.`,
  ];
  console.log(lines.join("\n"));
  const stop = () => {
    void emulator.close().then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
