/**
 * The emulator's outbound HTTPS for change notifications: one POST with a hard time limit, trusting the
 * system CAs plus the ones the emulator was given (the server under test often runs on a development CA).
 * No keep-alive and no redirects, as a webhook sender should behave.
 */
import https from "node:https";
import tls from "node:tls";

export interface PostResult {
  /** HTTP status, or null when the request failed or timed out. */
  status: number | null;
  contentType: string | null;
  body: string;
  /** Why it failed (network error, "timeout"), when status is null. */
  error?: string;
  elapsedMs: number;
}

export function post(
  url: string,
  body: string,
  o: { contentType: string; timeoutMs: number; ca: string[] },
): Promise<PostResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: Omit<PostResult, "elapsedMs">) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...r, elapsedMs: Date.now() - started });
    };
    const buf = Buffer.from(body, "utf8");
    const req = https.request(
      url,
      {
        method: "POST",
        agent: false,
        ca: [...tls.rootCertificates, ...o.ca],
        headers: {
          "Content-Type": o.contentType,
          "Content-Length": String(buf.length),
          "User-Agent": "Microsoft-Graph-ChangeNotifications-Emulator",
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          finish({
            status: res.statusCode ?? null,
            contentType: String(res.headers["content-type"] ?? "") || null,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", (e) => finish({ status: null, contentType: null, body: "", error: e.message }));
      },
    );
    const timer = setTimeout(() => {
      finish({ status: null, contentType: null, body: "", error: "timeout" });
      req.destroy();
    }, o.timeoutMs);
    req.on("error", (e) => finish({ status: null, contentType: null, body: "", error: e.message }));
    req.end(buf);
  });
}
