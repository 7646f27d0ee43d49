/**
 * What a failed sweep tells people (its record, the user's lastError, administrators' mailbox health):
 * this product's own errors and Graph's answers as they are; database and unexpected errors as a fixed
 * sentence (their text is internal and goes to the log).
 */
import {
  describeError,
  describeForUser,
  GraphRequestFailedError,
  MalformedGraphResponseError,
} from "../../server/sweep/errors";
import { ReauthRequiredError } from "../../server/identity/errors";

test("errors written for people keep their words", () => {
  const graph = new GraphRequestFailedError(
    "Microsoft 365 kept answering 503 after 4 tries.",
    503,
    "ServiceUnavailable",
  );
  expect(describeForUser(graph)).toBe(describeError(graph));
  expect(describeForUser(new MalformedGraphResponseError("message 3 has no isDraft"))).toMatch(
    /^MalformedGraphResponseError: message 3 has no isDraft/,
  );
  // The Graph SDK's GraphError is named plain "Error"; its HTTP status says it is Microsoft 365's answer.
  const sdk = Object.assign(new Error("Access is denied."), { statusCode: 403, code: "ErrorAccessDenied" });
  expect(describeForUser(sdk)).toBe("Access is denied. (HTTP 403 ErrorAccessDenied)");
  expect(describeForUser(new ReauthRequiredError("Your consent was revoked.", 65001))).toMatch(/^ReauthRequiredError/);
});

test("no answer from Microsoft 365 (the SDK's status -1, a fetch failure, a timeout) says so", () => {
  const sentence = "Microsoft 365 could not be reached (network or timeout); the next sweep will try again.";
  expect(describeForUser(Object.assign(new Error("fetch failed"), { statusCode: -1 }))).toBe(sentence);
  expect(describeForUser(new TypeError("fetch failed"))).toBe(sentence);
  expect(describeForUser(new DOMException("The operation was aborted due to timeout", "TimeoutError"))).toBe(sentence);
});

test("a bug's or a library's exception, and a database's error, become a fixed sentence", () => {
  const bug = new TypeError("Cannot read properties of undefined (reading 'internalField')");
  expect(describeForUser(bug)).toBe("The sweep stopped on an unexpected error; the next sweep will try again.");
  expect(describeForUser("a thrown string")).toBe(
    "The sweep stopped on an unexpected error; the next sweep will try again.",
  );
  const sqlite = Object.assign(new Error("UNIQUE constraint failed: engagements.organization_id"), {
    name: "SqliteError",
    code: "SQLITE_CONSTRAINT_UNIQUE",
  });
  expect(describeForUser(sqlite)).toBe(
    "The sweep stopped on an internal database error; the next sweep will try again.",
  );
  // The detail stays available for the log.
  expect(describeError(bug)).toContain("internalField");
});
