/**
 * Mail folder routes: resolving a folder reference (id or well-known name) and listing a folder's
 * children (top-level folders are the children of msgfolderroot).
 */
import type { EmulatorState, FolderRecord, UserRecord } from "../state";
import { GraphFailure, type GraphRequest, type GraphResponse, ok } from "./protocol";
import { nextLink, parseSkip, parseTop } from "./query";
import { folderJson } from "./representations";

/** A folder of the user by Graph id or well-known name; other names are malformed ids (400), unknown ids 404. */
export function resolveFolder(st: EmulatorState, user: UserRecord, ref: string): FolderRecord {
  const direct = st.folders.get(ref);
  if (direct && direct.userId === user.id) return direct;
  const wk = ref.toLowerCase();
  for (const f of st.foldersOf(user.id)) if (f.wellKnownName === wk) return f;
  if (/^[A-Za-z]+$/.test(ref)) throw new GraphFailure(400, "ErrorInvalidIdMalformed", "Id is malformed.");
  throw new GraphFailure(404, "ErrorItemNotFound", "The specified object was not found in the store.");
}

export function listFolders(
  st: EmulatorState,
  user: UserRecord,
  parent: FolderRecord,
  req: GraphRequest,
  context: string,
): GraphResponse {
  const q = req.query;
  const includeHidden = (q.get("includeHiddenFolders") ?? "").toLowerCase() === "true";
  const top = parseTop(q.get("$top"), 10);
  const skip = parseSkip(q.get("$skip"));
  const all = st
    .foldersOf(user.id)
    .filter((f) => f.parentFolderId === parent.id && !f.outsideTree && (includeHidden || !f.isHidden))
    .sort((a, b) => a.displayName.localeCompare(b.displayName));
  const page = all.slice(skip, skip + top);
  const body: Record<string, unknown> = { "@odata.context": `${st.url}/v1.0/$metadata#${context}` };
  if (skip + top < all.length) body["@odata.nextLink"] = nextLink(st.url, req, skip + top);
  body.value = page.map((f) => folderJson(st, f, req));
  return ok(body);
}

export function getFolder(
  st: EmulatorState,
  folder: FolderRecord,
  req: GraphRequest,
  contextRoot: string,
): GraphResponse {
  return ok({
    "@odata.context": `${st.url}/v1.0/$metadata#${contextRoot}/mailFolders/$entity`,
    ...folderJson(st, folder, req),
  });
}
