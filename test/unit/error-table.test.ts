/**
 * One error table: domain errors carry a code and a message; server/error-table.ts alone says how
 * each code is answered over HTTP and whose words a failed sweep may store for users.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { Hono } from "hono";
import { ERROR_TABLE, errorRule, httpStatusOf, sweepShowsMessage } from "../../server/error-table";
import { createErrorHandler } from "../../server/api/errors";
import { DomainError } from "../../server/domain-error";
import { IdentityUnavailableError, NotConnectedError, ReauthRequiredError } from "../../server/identity/errors";
import { TokenDecryptionError } from "../../server/identity/token-crypto";
import { MailError } from "../../server/mail/errors";
import { ConflictError, NotFoundError } from "../../server/store/errors";
import {
  describeForUser,
  GraphRequestFailedError,
  MalformedGraphResponseError,
  SweepAbortedError,
  SweepInProgressError,
} from "../../server/sweep/errors";

const SERVER = join(__dirname, "../../server");
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });

test("every code a domain error is raised with is in the table", () => {
  const codes = new Set<string>();
  for (const f of files(SERVER)) {
    const text = readFileSync(f, "utf8");
    for (const m of text.matchAll(/new (?:MailError|ConflictError|NotFoundError|DomainError)\(\s*"([a-z_]+)"/g))
      codes.add(m[1]);
  }
  expect(codes.size).toBeGreaterThan(10);
  for (const code of codes) expect([code, httpStatusOf(code)]).toEqual([code, expect.any(Number)]);
});

test("each error class has its code", () => {
  expect(new NotConnectedError("x").code).toBe("not_connected");
  expect(new ReauthRequiredError("x").code).toBe("reauth_required");
  expect(new IdentityUnavailableError("x").code).toBe("identity_unavailable");
  expect(new TokenDecryptionError("x").code).toBe("token_unreadable");
  expect(new MalformedGraphResponseError("x").code).toBe("graph_malformed");
  expect(new SweepAbortedError().code).toBe("sweep_aborted");
  expect(new SweepInProgressError("s").code).toBe("sweep_in_progress");
  const graph = new GraphRequestFailedError("x", 503, "ServiceUnavailable");
  expect([graph.code, graph.status, graph.graphCode]).toEqual(["graph_request_failed", 503, "ServiceUnavailable"]);
  for (const e of [
    new NotConnectedError("x"),
    new MailError("not_found", "x"),
    new ConflictError("duplicate_client", "x"),
    new NotFoundError("client_not_found", "x"),
  ]) {
    expect(e).toBeInstanceOf(DomainError);
    expect(e).not.toHaveProperty("status");
  }
});

test("a failed sweep stores the words of the errors the table marks, and a fixed sentence for the others", () => {
  const marked = Object.entries(ERROR_TABLE)
    .filter(([, r]) => "sweepShowsMessage" in r)
    .map(([c]) => c)
    .sort();
  expect(marked).toEqual([
    "graph_malformed",
    "graph_request_failed",
    "identity_unavailable",
    "not_connected",
    "reauth_required",
    "sweep_aborted",
    "token_unreadable",
  ]);
  expect(describeForUser(new NotConnectedError("Gone."))).toBe("NotConnectedError: Gone.");
  expect(describeForUser(new TokenDecryptionError("bad seal"))).toBe("TokenDecryptionError: bad seal");
  expect(sweepShowsMessage("duplicate_client")).toBe(false);
  expect(describeForUser(new ConflictError("duplicate_client", "A client named X already exists."))).toBe(
    "The sweep stopped on an unexpected error; the next sweep will try again.",
  );
  expect(describeForUser(new DomainError("no_such_code", "internal words"))).toBe(
    "The sweep stopped on an unexpected error; the next sweep will try again.",
  );
});

describe("the central handler answers domain errors by the table", () => {
  const logged: string[] = [];
  const logger = {
    error: (_o: object, m: string) => logged.push(m),
    warn: () => undefined,
    info: () => undefined,
  } as never;
  const app = new Hono();
  let toThrow: unknown;
  app.get("/x", () => {
    throw toThrow;
  });
  app.onError(createErrorHandler(logger));
  const answer = async (err: unknown) => {
    toThrow = err;
    const res = await app.request("/x");
    return { status: res.status, retryAfter: res.headers.get("retry-after"), body: await res.json() };
  };

  test("status, code, message and details", async () => {
    expect(
      await answer(new ConflictError("invalid_name", "A client name needs at least one visible character.")),
    ).toEqual({
      status: 400,
      retryAfter: null,
      body: { error: { code: "invalid_name", message: "A client name needs at least one visible character." } },
    });
    expect(await answer(new ConflictError("duplicate_contact", "Already tracked.", { id: "c1" }))).toEqual({
      status: 409,
      retryAfter: null,
      body: { error: { code: "duplicate_contact", message: "Already tracked.", details: { id: "c1" } } },
    });
    expect((await answer(new NotFoundError("message_not_found", "Not here."))).status).toBe(404);
    expect((await answer(new NotConnectedError("Connect first."))).body).toEqual({
      error: { code: "not_connected", message: "Connect first." },
    });
  });

  test("Retry-After from the error, else from the table", async () => {
    const throttled = await answer(new MailError("graph_unavailable", "Throttled.", { retryable: true }, 30));
    expect([throttled.status, throttled.retryAfter]).toEqual([503, "30"]);
    const identity = await answer(new IdentityUnavailableError("Try again in a moment."));
    expect([identity.status, identity.retryAfter, identity.body.error.code]).toEqual([
      503,
      "5",
      "identity_unavailable",
    ]);
  });

  test("a code the table gives no status is an unexpected error (500, logged)", async () => {
    expect(errorRule("graph_request_failed")?.status).toBeUndefined();
    const res = await answer(new GraphRequestFailedError("Graph kept refusing.", 503, null));
    expect(res).toEqual({
      status: 500,
      retryAfter: null,
      body: { error: { code: "internal_error", message: "Something went wrong on the server." } },
    });
    expect(logged).toContain("unhandled error");
  });
});
