/**
 * Following @odata.nextLink pages through the Graph SDK, one page in memory at a time.
 * A nextLink is used whole (it keeps every original query option), but only when it points back
 * at the configured Graph host over https: anything else is a malformed answer, never a URL we
 * would send the user's token to.
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import { MalformedGraphResponseError, SweepAbortedError } from "./errors";

export interface PageOptions {
  /** The configured Graph base URL (e.g. "https://graph.microsoft.com"). */
  baseUrl: string;
  headers: Record<string, string>;
  signal?: AbortSignal;
  /** Safety bound against a server that links pages in a circle. */
  maxPages?: number;
}

export function checkNextLink(link: unknown, baseUrl: string): string | null {
  if (link === undefined || link === null) return null;
  if (typeof link !== "string")
    throw new MalformedGraphResponseError("Graph returned a nextLink that is not a string.");
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new MalformedGraphResponseError("Graph returned a nextLink that is not a URL.");
  }
  const base = new URL(baseUrl);
  if (url.protocol !== "https:" || url.host.toLowerCase() !== base.host.toLowerCase()) {
    throw new MalformedGraphResponseError("Graph returned a nextLink to another host.");
  }
  return link;
}

/** GET `first`, then every nextLink; calls onPage with each page's items (not yet validated). */
export async function forEachPage(
  client: Client,
  first: string,
  opts: PageOptions,
  onPage: (items: unknown[]) => Promise<void> | void,
): Promise<void> {
  const maxPages = opts.maxPages ?? 100_000;
  const seen = new Set<string>();
  let url: string | null = first;
  for (let n = 0; url; n++) {
    if (opts.signal?.aborted) throw new SweepAbortedError();
    if (n >= maxPages) throw new MalformedGraphResponseError(`Graph kept paging past ${maxPages} pages.`);
    let req = client.api(url);
    for (const [k, v] of Object.entries(opts.headers)) req = req.header(k, v);
    const page = (await req.get()) as { value?: unknown; "@odata.nextLink"?: unknown } | null;
    if (!page || typeof page !== "object" || !Array.isArray(page.value)) {
      throw new MalformedGraphResponseError("Graph returned a page without a value list.");
    }
    const next = checkNextLink(page["@odata.nextLink"], opts.baseUrl);
    if (next && seen.has(next))
      throw new MalformedGraphResponseError("Graph returned a nextLink it had already given.");
    if (next) seen.add(next);
    await onPage(page.value);
    url = next;
  }
}
