/** Small helpers shared by the data-access modules. */
import { randomUUID } from "node:crypto";

export const newId = (): string => randomUUID();

/** Timestamps are stored as ISO 8601 UTC text (schema.ts); accept a Date or a string. */
export function iso(t: Date | string): string {
  return typeof t === "string" ? new Date(t).toISOString() : t.toISOString();
}

export function parseJson<T>(text: string | null | undefined, fallback: T): T {
  if (text == null || text === "") return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** Opaque page cursor: base64url JSON of the sort key of the last row returned. */
export function encodeCursor(key: readonly string[]): string {
  return Buffer.from(JSON.stringify(key), "utf8").toString("base64url");
}

/** The sort key inside a cursor, or null when it is not one of ours (the API answers 400). */
export function decodeCursor(cursor: string, parts: number): string[] | null {
  try {
    const v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    // Never U+0000: no cursor of ours holds one, and PostgreSQL cannot bind it as text (a 500 there).
    if (Array.isArray(v) && v.length === parts && v.every((x) => typeof x === "string" && !x.includes("\u0000")))
      return v as string[];
  } catch {
    /* fall through */
  }
  return null;
}

/** Escape LIKE wildcards so a search for "50%_off" matches literally (used with `escape '\'`). */
export function likeContains(q: string): string {
  return `%${q.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
}

/** Chunk a list for `in (...)` queries; SQLite caps bound parameters per statement. */
export function chunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
