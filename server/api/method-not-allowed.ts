/**
 * 405 instead of 404 when the path is one of the API's and only the method is wrong (RFC 9110 §15.5.6:
 * with an Allow header listing what the path does take). The OpenAPI description is the list of routes
 * — tests keep it equal to what the app registers — so the answer cannot drift from the routes.
 * Only /api/* paths: the pane's files and the demo's pages keep plain 404s.
 */
import type { NotFoundHandler } from "hono";
import { errorResponse, notFoundHandler } from "./errors";

export function methodAwareNotFound(doc: { paths?: Record<string, object> }): NotFoundHandler {
  const routes = Object.entries(doc.paths ?? {})
    .filter(([template]) => template.startsWith("/api/"))
    .map(([template, item]) => {
      // "{id}" is one path segment; the templates have no other pattern syntax under /api.
      const pattern = new RegExp(`^${template.replace(/[.+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}$`);
      const methods = Object.keys(item).map((m) => m.toUpperCase());
      if (methods.includes("GET")) methods.push("HEAD");
      return { pattern, methods };
    });
  return (c) => {
    const path = c.req.path;
    const route = path.startsWith("/api/") ? routes.find((r) => r.pattern.test(path)) : undefined;
    if (!route || route.methods.includes(c.req.method)) return notFoundHandler(c);
    c.header("Allow", route.methods.join(", "));
    return errorResponse(
      c,
      405,
      "method_not_allowed",
      `${path} does not take ${c.req.method}; it takes ${route.methods.join(", ")}.`,
    );
  };
}
