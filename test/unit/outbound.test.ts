/**
 * The outbound fetch's close(): a response nobody finished reading must not hold shutdown. undici's
 * Agent.close() waits for it until the garbage collector collects the body (seconds, or never);
 * close() gives requests a grace period and then cuts the connections.
 */
import https from "node:https";
import { generateTls } from "../../emulator/tls";
import { createOutbound } from "../../server/http/outbound";

let server: https.Server | null = null;
afterAll(() => {
  server?.closeAllConnections();
  server?.close();
});

test("close() returns within its grace period while a response body is still arriving", async () => {
  const tls = await generateTls();
  // Headers and part of a body, then nothing more: the response never completes.
  server = https.createServer({ key: tls.keyPem, cert: tls.certPem }, (_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.write("x".repeat(64 * 1024));
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as { port: number }).port;
  const outbound = createOutbound(tls.caPem);
  const res = await outbound.fetch(`https://localhost:${port}/`);
  expect(res.status).toBe(200); // the body is never read
  const t0 = Date.now();
  await outbound.close();
  expect(Date.now() - t0).toBeLessThan(10_000); // Agent.close() alone waits here for good
});
