/** Reading Graph's claims challenge (continuous access evaluation) from a 401's WWW-Authenticate. */
import { GraphClientError } from "@microsoft/microsoft-graph-client";
import { challengeClaims, tokenSourceError } from "../../server/graph/client";
import { ReauthRequiredError } from "../../server/identity/errors";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const CLAIMS = '{"access_token":{"nbf":{"essential":true,"value":"1764979200"}}}';
const header = (claims: string, error = "insufficient_claims") =>
  `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000", error="${error}", claims="${claims}"`;

test("an insufficient_claims challenge gives its decoded claims (JSON text), as Graph sends them", () => {
  expect(challengeClaims(header(b64(CLAIMS)))).toBe(CLAIMS);
});

test("anything else is a plain 401: no header, another error, claims missing, not base64 JSON, not an object, oversized", () => {
  expect(challengeClaims(null)).toBeNull();
  expect(challengeClaims('Bearer realm="", client_id="00000003-0000-0000-c000-000000000000"')).toBeNull();
  expect(challengeClaims(header(b64(CLAIMS), "invalid_token"))).toBeNull();
  expect(challengeClaims('Bearer error="insufficient_claims"')).toBeNull();
  expect(challengeClaims(header(b64("not json")))).toBeNull();
  expect(challengeClaims(header(b64("[1,2]")))).toBeNull();
  expect(challengeClaims(header("@@@"))).toBeNull();
  expect(challengeClaims(header(b64(JSON.stringify({ access_token: { x: "y".repeat(10_000) } }))))).toBeNull();
});

test("a token source's error thrown through the Graph SDK comes back as itself", () => {
  const reauth = new ReauthRequiredError("Reconnect your mailbox.", 50173);
  const carrier = new GraphClientError(reauth.message);
  carrier.customError = reauth;
  expect(tokenSourceError(carrier)).toBe(reauth);
  const plain = new Error("x");
  expect(tokenSourceError(plain)).toBe(plain);
});
