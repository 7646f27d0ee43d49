/**
 * An example webhook receiver: `npm run receiver -- --secret whsec_… [--port 9443] [--data-dir ./data]`.
 * It serves HTTPS with the demo's development certificate (<data-dir>/certs, the CA the demo server trusts),
 * verifies every request with the `standardwebhooks` package (signature and timestamp), answers 204, and
 * prints the event — once per webhook-id: a retry or replay of an id it has seen is answered 204 and
 * noted, as a receiver should deduplicate. Several --secret options verify during a rotation.
 */
import https from "node:https";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { loadServerTls } from "../server/http/tls";

interface Options {
  secrets: string[];
  port: number;
  dataDir: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { secrets: [], port: 9443, dataDir: "./data" };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === "--secret" && value) o.secrets.push(value);
    else if (flag === "--port" && /^\d+$/.test(value ?? "")) o.port = Number(value);
    else if (flag === "--data-dir" && value) o.dataDir = value;
    else throw new Error(`unknown or incomplete option ${flag}`);
    i++;
  }
  if (o.secrets.length === 0 || !o.secrets.every((s) => s.startsWith("whsec_")))
    throw new Error("give the endpoint's secret: --secret whsec_…");
  return o;
}

/** The payload when one of the secrets verifies the request, else null. */
function verify(hooks: Webhook[], body: string, headers: Record<string, string>): unknown {
  for (const h of hooks) {
    try {
      return h.verify(body, headers);
    } catch (err) {
      if (!(err instanceof WebhookVerificationError)) throw err;
    }
  }
  return null;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const hooks = opts.secrets.map((s) => new Webhook(s));
  const seen = new Set<string>();
  const tls = await loadServerTls(opts.dataDir);
  const server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= 1024 * 1024) chunks.push(c);
    });
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = {
        "webhook-id": String(req.headers["webhook-id"] ?? ""),
        "webhook-timestamp": String(req.headers["webhook-timestamp"] ?? ""),
        "webhook-signature": String(req.headers["webhook-signature"] ?? ""),
      };
      const event = verify(hooks, body, headers) as {
        type: string;
        data: { engagementId: string; sequence: number; engagement: { subject?: string | null } | null };
      } | null;
      if (!event) {
        console.log(`REFUSED ${headers["webhook-id"] || "(no id)"}: the signature does not verify`);
        res.writeHead(400).end();
        return;
      }
      const again = seen.has(headers["webhook-id"]);
      seen.add(headers["webhook-id"]);
      const subject = event.data.engagement?.subject ?? "";
      console.log(
        `${again ? "again  " : ""}${headers["webhook-id"]} #${event.data.sequence} ${event.type} ${event.data.engagementId}${subject ? ` "${subject}"` : ""}`,
      );
      res.writeHead(204).end();
    });
  });
  server.listen(opts.port, "127.0.0.1", () =>
    console.log(
      `Webhook receiver on https://localhost:${opts.port}/ — register that URL (WEBHOOK_ALLOW_HOSTS=localhost).`,
    ),
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
