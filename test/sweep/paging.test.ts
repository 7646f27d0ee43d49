import type { Client } from "@microsoft/microsoft-graph-client";
import { MalformedGraphResponseError } from "../../server/sweep/errors";
import { checkNextLink, forEachPage } from "../../server/sweep/paging";

const BASE = "https://graph.example.test";

/** A stand-in for the SDK client that answers GETs from a table. */
function fakeClient(pages: Record<string, unknown>): Client {
  return {
    api: (url: string) => {
      const req = { header: () => req, get: async () => pages[url] };
      return req;
    },
  } as unknown as Client;
}

describe("nextLink checks", () => {
  it("accepts an https link to the Graph host and nothing else", () => {
    expect(checkNextLink(undefined, BASE)).toBeNull();
    expect(checkNextLink(`${BASE}/v1.0/me/messages?%24skip=10`, BASE)).toBe(`${BASE}/v1.0/me/messages?%24skip=10`);
    expect(() => checkNextLink("https://evil.example/v1.0/me/messages", BASE)).toThrow(MalformedGraphResponseError);
    expect(() => checkNextLink("http://graph.example.test/v1.0/me/messages", BASE)).toThrow(
      MalformedGraphResponseError,
    );
    expect(() => checkNextLink("not a url", BASE)).toThrow(MalformedGraphResponseError);
    expect(() => checkNextLink(42, BASE)).toThrow(MalformedGraphResponseError);
  });

  it("follows pages until there is no nextLink, one page at a time", async () => {
    const seen: unknown[][] = [];
    await forEachPage(
      fakeClient({
        "/me/x": { value: [1, 2], "@odata.nextLink": `${BASE}/v1.0/me/x?p=2` },
        [`${BASE}/v1.0/me/x?p=2`]: { value: [3] },
      }),
      "/me/x",
      { baseUrl: BASE, headers: {} },
      (v) => {
        seen.push(v);
      },
    );
    expect(seen).toEqual([[1, 2], [3]]);
  });

  it("fails on a page without a value list, a foreign nextLink, or a nextLink loop", async () => {
    const run = (pages: Record<string, unknown>) =>
      forEachPage(fakeClient(pages), "/me/x", { baseUrl: BASE, headers: {} }, () => {});
    await expect(run({ "/me/x": { items: [] } })).rejects.toThrow(MalformedGraphResponseError);
    await expect(run({ "/me/x": { value: [], "@odata.nextLink": "https://evil.example/steal" } })).rejects.toThrow(
      MalformedGraphResponseError,
    );
    const loop = `${BASE}/v1.0/me/x?again`;
    await expect(
      run({ "/me/x": { value: [], "@odata.nextLink": loop }, [loop]: { value: [], "@odata.nextLink": loop } }),
    ).rejects.toThrow(MalformedGraphResponseError);
  });
});
