/**
 * The emulator as `npm start` runs it in demo mode: a child process of the launcher, seeded with the demo
 * organization. It serves with the backend's development certificate (one CA for a person to trust) and
 * announces itself with one machine-readable line on stdout: `DEMO_READY {json}`.
 * Env: DEMO_PUBLIC_URL (the backend's URL, for redirect URIs), DATA_DIR (where the dev certificate lives),
 * EMULATOR_PORT (default 0 = random).
 */
import type { PreviewMessage } from "../../shared/api/contract";
import { loadServerTls } from "../../server/http/tls";
import { startEmulator } from "../index";
import { DANA_ID, DEMO_BLOCKLIST, DEMO_CLIENT_ID, DEMO_CLIENTS, DEMO_TENANT_ID, LEE_ID, demoDataset } from "./dataset";

export interface DemoHandshake {
  url: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  users: { id: string; mail: string; displayName: string }[];
  /** The CRM side of the demo, created through the backend's API at start. */
  crm: { clients: { name: string; contacts: { email: string; name: string }[] }[]; blocklist: string[] };
  previewMessages: PreviewMessage[];
}

async function main(): Promise<void> {
  const publicUrl = process.env.DEMO_PUBLIC_URL ?? "https://localhost:3000";
  const tls = await loadServerTls(process.env.DATA_DIR ?? "./data", {});
  const dataset = demoDataset(publicUrl);
  const emulator = await startEmulator({ port: Number(process.env.EMULATOR_PORT ?? 0), dataset, tls });
  const app = dataset.apps![0];
  const st = emulator.state;
  const addr = (a: { emailAddress: { name: string; address: string } }) => ({
    address: a.emailAddress.address,
    name: a.emailAddress.name || null,
  });
  const previewMessages: DemoHandshake["previewMessages"] = [];
  for (const userId of [DANA_ID, LEE_ID]) {
    const user = st.users.get(userId)!;
    const msgs = [...st.getMessages(userId)].sort(
      (a, b) => b.receivedDateTime.getTime() - a.receivedDateTime.getTime(),
    );
    for (const m of msgs) {
      previewMessages.push({
        restItemId: m.id,
        internetMessageId: m.internetMessageId,
        subject: m.subject,
        from: m.from ? addr(m.from) : { address: "", name: null },
        to: m.toRecipients.map(addr),
        cc: m.ccRecipients.map(addr),
        dateTimeCreated: (m.sentDateTime ?? m.receivedDateTime).toISOString(),
        itemClass: m.messageClass,
        mailbox: user.mail,
      });
    }
  }
  const handshake: DemoHandshake = {
    url: emulator.url,
    tenantId: DEMO_TENANT_ID,
    clientId: DEMO_CLIENT_ID,
    clientSecret: app.clientSecret!,
    users: [DANA_ID, LEE_ID].map((id) => {
      const u = st.users.get(id)!;
      return { id, mail: u.mail, displayName: u.displayName };
    }),
    crm: { clients: DEMO_CLIENTS, blocklist: DEMO_BLOCKLIST },
    previewMessages,
  };
  process.stdout.write(`DEMO_READY ${JSON.stringify(handshake)}\n`);
  const stop = () => void emulator.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  // The launcher's death must not leave an orphan: stdin closes when the parent goes.
  process.stdin.on("end", stop);
  process.stdin.resume();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
