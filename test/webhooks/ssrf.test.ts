/**
 * The SSRF guard of outbound webhook calls: only public HTTPS addresses, checked again after DNS
 * resolution (every address), connecting to the checked address; a named allowed host skips the check.
 */
import https from "node:https";
import type net from "node:net";
import { isPublicAddress } from "../../server/http/public-address";
import { assertOutboundUrl, guardedPost } from "../../server/http/guarded-post";
import { receiverTls } from "./support";

describe("isPublicAddress", () => {
  it.each([
    "127.0.0.1",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd12::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "64:ff9b::7f00:1",
    "2002:7f00:1::",
    "not-an-ip",
  ])("refuses %s", (a) => expect(isPublicAddress(a)).toBe(false));
  it.each(["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "20.190.128.1"])("accepts %s", (a) =>
    expect(isPublicAddress(a)).toBe(true),
  );
});

describe("guardedPost", () => {
  let server: https.Server;
  let port = 0;
  let hits = 0;
  let ca = "";
  beforeAll(async () => {
    const tls = await receiverTls();
    ca = tls.caPem;
    server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
      hits++;
      req.resume();
      res.writeHead(200).end("y".repeat(50_000));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const post = (url: string, opts: Partial<Parameters<typeof guardedPost>[3]> = {}) =>
    guardedPost(url, {}, "{}", { timeoutMs: 2000, extraCaPem: ca, ...opts });

  it("refuses a host name that resolves to loopback, before connecting", async () => {
    const before = hits;
    await expect(
      post(`https://hooks.internal.example:${port}/`, { resolve: async () => [{ address: "127.0.0.1", family: 4 }] }),
    ).rejects.toThrow(/127\.0\.0\.1, which is not a public address/);
    await expect(
      post(`https://hooks.rebind.example:${port}/`, {
        resolve: async () => [
          { address: "93.184.216.34", family: 4 },
          { address: "10.0.0.7", family: 4 },
        ],
      }),
    ).rejects.toThrow(/10\.0\.0\.7/);
    expect(hits).toBe(before);
  });

  it("connects to the checked address only (a rebinding answer cannot move it)", async () => {
    let calls = 0;
    const r = await post(`https://localhost:${port}/`, {
      allowHosts: ["localhost"],
      resolve: async () =>
        calls++ === 0 ? [{ address: "127.0.0.1", family: 4 }] : [{ address: "10.9.9.9", family: 4 }],
    });
    expect(r.status).toBe(200);
    expect(calls).toBe(1);
  });

  it("keeps only a small part of the response body", async () => {
    const r = await post(`https://localhost:${port}/`, {
      allowHosts: ["localhost"],
      resolve: async () => [{ address: "127.0.0.1", family: 4 }],
      maxResponseBytes: 1024,
    });
    expect(r.body.length).toBe(1024);
  });

  it("refuses http, IP literals in private ranges and credentials", () => {
    expect(() => assertOutboundUrl("http://example.com/")).toThrow(/https/);
    expect(() => assertOutboundUrl("https://192.168.0.1/")).toThrow(/not a public address/);
    expect(() => assertOutboundUrl("https://[fe80::1]/")).toThrow(/not a public address/);
    expect(() => assertOutboundUrl("https://a:b@example.com/")).toThrow(/credentials/);
    expect(assertOutboundUrl("https://127.0.0.1/", ["127.0.0.1"]).hostname).toBe("127.0.0.1");
  });
});
