/**
 * The excluded folders of one mailbox (capture rule 2) as a map: folder id → the path of FolderFacts
 * the rules read. Resolved from Graph's locale-independent well-known names (one $batch for all of
 * them), plus the RSS Feeds folder found by its container class, plus every subfolder of those
 * (childFolders, recursively). Any folder not in the map is an ordinary folder (path [] → not excluded).
 * Resolved once a day per mailbox and cached on the connection row.
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import type { Kysely } from "kysely";
import {
  CONTAINER_CLASS_PROPERTY_ID,
  EXCLUDED_WELL_KNOWN_FOLDERS,
  RSS_CONTAINER_CLASS,
  isClassOrSubclass,
  type FolderFacts,
} from "../../shared/capture";
import type { Database } from "../db/schema";
import { cacheFolders, loadFolderCache } from "../store/mailbox-connections";
import { batchGet, type BatchOptions } from "./batch";
import { GraphRequestFailedError, MalformedGraphResponseError } from "./errors";
import { forEachPage } from "./paging";

export type FolderMap = ReadonlyMap<string, ReadonlyArray<FolderFacts>>;

/** Immutable ids everywhere, so folder ids and messages' parentFolderId are of the same kind. */
export const IMMUTABLE_ID_PREFER = 'IdType="ImmutableId"';

export const FOLDER_CACHE_MAX_AGE_MS = 24 * 3600_000;
const FOLDER_SELECT = "id,displayName,childFolderCount";
const CLASS_EXPAND = `singleValueExtendedProperties($filter=id eq '${CONTAINER_CLASS_PROPERTY_ID}')`;

interface RawFolder {
  id: string;
  displayName: string;
  childFolderCount: number;
  containerClass: string | null;
}

function parseFolder(raw: unknown): RawFolder {
  const f = raw as Record<string, unknown> | null;
  if (!f || typeof f !== "object" || typeof f.id !== "string" || !f.id)
    throw new MalformedGraphResponseError("Graph returned a folder without an id.");
  const name = f.displayName ?? "";
  if (typeof name !== "string")
    throw new MalformedGraphResponseError("Graph returned a folder whose displayName is not a string.");
  const count = f.childFolderCount ?? 0;
  if (typeof count !== "number")
    throw new MalformedGraphResponseError("Graph returned a folder whose childFolderCount is not a number.");
  let containerClass: string | null = null;
  const props = f.singleValueExtendedProperties;
  if (Array.isArray(props)) {
    for (const p of props as { id?: unknown; value?: unknown }[]) {
      const tag = typeof p?.id === "string" ? /^\s*string\s+0x([0-9a-f]+)\s*$/i.exec(p.id) : null;
      if (tag && parseInt(tag[1], 16) === 0x3613 && typeof p.value === "string") containerClass = p.value;
    }
  }
  return { id: f.id, displayName: name, childFolderCount: count, containerClass };
}

export interface ResolveOptions extends Pick<BatchOptions, "signal" | "onRetry" | "maxRounds"> {
  baseUrl: string;
}

/** Ask Graph (the uncached path): one $batch, one top-level listing, and childFolders of excluded folders that have children. */
export async function resolveExcludedFolders(
  client: Client,
  opts: ResolveOptions,
): Promise<Map<string, FolderFacts[]>> {
  const headers = { Prefer: IMMUTABLE_ID_PREFER };
  const map = new Map<string, FolderFacts[]>();
  const roots: { folder: RawFolder; path: FolderFacts[] }[] = [];

  const answers = await batchGet(
    client,
    EXCLUDED_WELL_KNOWN_FOLDERS.map((name) => ({
      id: name,
      url: `/me/mailFolders/${name}?$select=${FOLDER_SELECT}`,
      headers,
    })),
    opts,
  );
  for (const name of EXCLUDED_WELL_KNOWN_FOLDERS) {
    const a = answers.get(name)!;
    if (a.status === 200) {
      const folder = parseFolder(a.body);
      roots.push({ folder, path: [{ wellKnownName: name, displayName: folder.displayName, containerClass: null }] });
      continue;
    }
    // Not every mailbox has every well-known folder (Scheduled, Search Folders …): 404, or 400 ErrorInvalidIdMalformed.
    const code = (a.body as { error?: { code?: string } } | null)?.error?.code ?? null;
    if (a.status === 404 || (a.status === 400 && code === "ErrorInvalidIdMalformed")) continue;
    throw new GraphRequestFailedError(
      `Graph could not resolve the ${name} folder (HTTP ${a.status}${code ? ` ${code}` : ""}).`,
      a.status,
      code,
    );
  }

  // RSS Feeds has no well-known name: find it among the top-level folders by container class.
  await forEachPage(
    client,
    `/me/mailFolders?includeHiddenFolders=true&$top=250&$select=${FOLDER_SELECT}&$expand=${CLASS_EXPAND}`,
    { baseUrl: opts.baseUrl, headers, signal: opts.signal },
    (items) => {
      for (const raw of items) {
        const f = parseFolder(raw);
        if (
          f.containerClass &&
          isClassOrSubclass(f.containerClass, RSS_CONTAINER_CLASS) &&
          !roots.some((r) => r.folder.id === f.id)
        ) {
          roots.push({
            folder: f,
            path: [{ wellKnownName: null, displayName: f.displayName, containerClass: f.containerClass }],
          });
        }
      }
    },
  );

  // Subfolders inherit the exclusion: walk each excluded folder's tree (only where there are children).
  const queue = [...roots];
  for (const r of roots) map.set(r.folder.id, r.path);
  while (queue.length) {
    const { folder, path } = queue.shift()!;
    if (folder.childFolderCount <= 0) continue;
    await forEachPage(
      client,
      `/me/mailFolders/${encodeURIComponent(folder.id)}/childFolders?includeHiddenFolders=true&$top=250&$select=${FOLDER_SELECT}&$expand=${CLASS_EXPAND}`,
      { baseUrl: opts.baseUrl, headers, signal: opts.signal },
      (items) => {
        for (const raw of items) {
          const child = parseFolder(raw);
          if (map.has(child.id)) continue;
          const childPath = [
            ...path,
            { wellKnownName: null, displayName: child.displayName, containerClass: child.containerClass },
          ];
          map.set(child.id, childPath);
          queue.push({ folder: child, path: childPath });
        }
      },
    );
  }
  return map;
}

interface CachedFolders {
  v: 1;
  folders: [string, FolderFacts[]][];
}

export function serializeFolderMap(map: FolderMap): string {
  const body: CachedFolders = { v: 1, folders: [...map.entries()].map(([id, path]) => [id, [...path]]) };
  return JSON.stringify(body);
}

export function parseFolderCache(text: string | null): Map<string, FolderFacts[]> | null {
  if (!text) return null;
  try {
    const c = JSON.parse(text) as CachedFolders;
    if (c?.v !== 1 || !Array.isArray(c.folders)) return null;
    return new Map(c.folders);
  } catch {
    return null;
  }
}

export interface FolderMapDeps {
  db: Kysely<Database>;
  client: Client;
  now: Date;
  baseUrl: string;
  maxAgeMs?: number;
  signal?: AbortSignal;
  onRetry?: (items: number) => void;
  maxRounds?: number;
}

/** The mailbox's folder map: from the connection's cache when younger than a day, else from Graph (and cached). */
export async function loadFolderMap(
  deps: FolderMapDeps,
  organizationId: string,
  userId: string,
): Promise<{ map: FolderMap; fromCache: boolean }> {
  const row = await loadFolderCache(deps.db, organizationId, userId);
  const age = row?.folderCacheAt ? deps.now.getTime() - Date.parse(row.folderCacheAt) : Infinity;
  const cached =
    age >= 0 && age < (deps.maxAgeMs ?? FOLDER_CACHE_MAX_AGE_MS) ? parseFolderCache(row?.folderCache ?? null) : null;
  if (cached) return { map: cached, fromCache: true };
  const map = await resolveExcludedFolders(deps.client, {
    baseUrl: deps.baseUrl,
    signal: deps.signal,
    onRetry: deps.onRetry,
    maxRounds: deps.maxRounds,
  });
  await cacheFolders(deps.db, organizationId, userId, serializeFolderMap(map), deps.now);
  return { map, fromCache: false };
}

/** The path the rules read for a message's folder: [] for any folder outside the excluded trees. */
export function folderPathOf(map: FolderMap, parentFolderId: string | null): ReadonlyArray<FolderFacts> {
  return (parentFolderId && map.get(parentFolderId)) || [];
}
