/**
 * How Entra reads a `scope` parameter: OIDC scopes apart, the rest naming one resource (Graph when
 * unqualified, or an API by its App ID URI), `.default` expanded, and the short names for `scp`.
 */
import { GRAPH_RESOURCE, isGraphAudience } from "../state";

const OIDC_SCOPES = new Set(["openid", "profile", "email", "offline_access"]);
const DEFAULT_GRAPH_SCOPES = ["User.Read", "Mail.Read", "Mail.Send"];

export interface ScopePlan {
  resource: "graph" | "api";
  /** For api: the audience (client id of the API). */
  audience: string;
  /** Resource scopes as the client wrote them (echoed in `scope`). */
  requested: string[];
  /** Short scope names for the `scp` claim. */
  scp: string[];
  oidc: string[];
}

export function planScopes(scopes: string[], fallback?: ScopePlan): ScopePlan | { error: string } {
  const oidc = scopes.filter((s) => OIDC_SCOPES.has(s.toLowerCase()));
  const rest = scopes.filter((s) => !OIDC_SCOPES.has(s.toLowerCase()));
  if (!rest.length) {
    if (fallback) return { ...fallback, oidc };
    return { resource: "graph", audience: GRAPH_RESOURCE, requested: ["User.Read"], scp: ["User.Read"], oidc };
  }
  const resources = new Map<string, { requested: string[]; scp: string[] }>();
  for (const s of rest) {
    let res: string;
    let short: string;
    const i = s.lastIndexOf("/");
    if (i < 0) {
      res = GRAPH_RESOURCE;
      short = s;
    } else {
      res = s.slice(0, i);
      short = s.slice(i + 1);
    }
    if (isGraphAudience(res)) res = GRAPH_RESOURCE;
    const entry = resources.get(res) ?? { requested: [], scp: [] };
    entry.requested.push(s);
    if (short === ".default") entry.scp.push(...(isGraphAudience(res) ? DEFAULT_GRAPH_SCOPES : ["access_as_user"]));
    else entry.scp.push(short);
    resources.set(res, entry);
  }
  if (resources.size > 1) return { error: "multiple" };
  const [res, entry] = [...resources.entries()][0];
  if (res === GRAPH_RESOURCE)
    return { resource: "graph", audience: GRAPH_RESOURCE, requested: entry.requested, scp: dedupe(entry.scp), oidc };
  return {
    resource: "api",
    audience: res.replace(/^api:\/\//, ""),
    requested: entry.requested,
    scp: dedupe(entry.scp),
    oidc,
  };
}

export function dedupe(xs: string[]): string[] {
  const seen = new Set<string>();
  return xs.filter((x) => (seen.has(x.toLowerCase()) ? false : (seen.add(x.toLowerCase()), true)));
}
