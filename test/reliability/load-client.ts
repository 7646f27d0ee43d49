/**
 * The load generator of load.test.ts in a process of its own, so that its event loop (autocannon parsing
 * a thousand answers a second) is not shared with the emulator and the test harness: latencies measure the
 * backend, not the client's queue. Forked with tsx; gets its options over IPC, answers autocannon's result.
 */
import autocannon from "autocannon";

export interface LoadRequest {
  url: string;
  connections: number;
  rate: number;
  seconds: number;
  caPem: string;
  /** What the pane sends: a body and its mailbox owner's token, used round-robin. */
  pairs: { token: string; body: string }[];
}

process.once("message", (raw: unknown) => {
  const o = raw as LoadRequest;
  let n = 0;
  autocannon({
    url: o.url,
    method: "POST",
    connections: o.connections,
    overallRate: o.rate,
    duration: o.seconds,
    tlsOptions: { ca: [o.caPem] },
    requests: [
      {
        setupRequest: (req) => {
          const p = o.pairs[n++ % o.pairs.length];
          return {
            ...req,
            method: "POST",
            body: p.body,
            headers: { ...req.headers, "content-type": "application/json", authorization: `Bearer ${p.token}` },
          };
        },
      },
    ],
    // overallRate is an autocannon option its type definitions leave out.
  } as autocannon.Options).then(
    (result) => process.send!({ ok: true, result }, () => process.exit(0)),
    (err: unknown) => process.send!({ ok: false, error: String(err) }, () => process.exit(1)),
  );
});
