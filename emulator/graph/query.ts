/**
 * OData query options and Prefer headers as Graph's mail endpoints read them: $top, $skip, $select,
 * `$expand=singleValueExtendedProperties(…)`, nextLinks, and the outlook/IdType/maxpagesize preferences.
 */
import { GraphFailure, type GraphRequest } from "./protocol";

const MESSAGE_PROPS = [
  "id",
  "createdDateTime",
  "lastModifiedDateTime",
  "changeKey",
  "categories",
  "receivedDateTime",
  "sentDateTime",
  "hasAttachments",
  "internetMessageId",
  "subject",
  "bodyPreview",
  "importance",
  "parentFolderId",
  "conversationId",
  "conversationIndex",
  "isDeliveryReceiptRequested",
  "isReadReceiptRequested",
  "isRead",
  "isDraft",
  "webLink",
  "inferenceClassification",
  "body",
  "sender",
  "from",
  "toRecipients",
  "ccRecipients",
  "bccRecipients",
  "replyTo",
  "flag",
];
const SELECT_ONLY_PROPS = ["uniqueBody", "internetMessageHeaders"];
const EVENT_PROPS = [
  "meetingMessageType",
  "startDateTime",
  "endDateTime",
  "location",
  "type",
  "isOutOfDate",
  "isAllDay",
  "isDelegated",
];
export const FOLDER_PROPS = [
  "id",
  "displayName",
  "parentFolderId",
  "childFolderCount",
  "unreadItemCount",
  "totalItemCount",
  "sizeInBytes",
  "isHidden",
];

export interface Prefer {
  bodyType: "html" | "text" | null;
  immutable: boolean;
  maxPageSize: number | null;
  /** Preferences honoured, as echoed in Preference-Applied. */
  applied: string[];
}

/** Normalize an extended property id the way Exchange echoes it ("String 0x001A" → "String 0x1a"). */
export function normalizePropId(id: string): string {
  const m = /^\s*(\w+)\s+0x([0-9a-f]+)\s*$/i.exec(id);
  return m ? `${m[1]} 0x${parseInt(m[2], 16).toString(16)}` : id.trim();
}

/** Extended property ids compared as Exchange does: tags numerically, names case-insensitively, spacing ignored. */
export function samePropId(a: string, b: string): boolean {
  const norm = (x: string) => normalizePropId(x).replace(/\s+/g, " ").toLowerCase();
  return norm(a) === norm(b);
}

/** Ids asked for by `$expand=singleValueExtendedProperties($filter=id eq '…' or id eq '…')`, or null when not expanded. */
export function expandedPropIds(expand: string | null): string[] | null {
  if (!expand) return null;
  const m = /^\s*singleValueExtendedProperties\s*\(\s*\$filter\s*=\s*(.+)\)\s*$/i.exec(expand);
  if (!m)
    throw new GraphFailure(
      400,
      "BadRequest",
      `Parsing OData Select and Expand failed: Could not find a property named '${expand.split("(")[0]}' on type 'microsoft.graph.message'.`,
    );
  const ids: string[] = [];
  const re = /id\s+eq\s+'((?:[^']|'')*)'/gi;
  let x: RegExpExecArray | null;
  while ((x = re.exec(m[1]))) ids.push(x[1].replace(/''/g, "'"));
  if (!ids.length)
    throw new GraphFailure(
      400,
      "ErrorInvalidExtendedProperty",
      "The extended property attribute combination is invalid.",
    );
  return ids;
}

/** `delta`, `delta()` or `microsoft.graph.delta` as the last path segment. */
export function isDeltaSegment(seg: string | undefined): boolean {
  return seg !== undefined && /^(microsoft\.graph\.)?delta(\(\))?$/i.test(seg);
}

export function parsePrefer(req: GraphRequest): Prefer {
  const raw = req.header("prefer") ?? "";
  let bodyType: "html" | "text" | null = null;
  let immutable = false;
  let maxPageSize: number | null = null;
  const applied: string[] = [];
  for (const part of raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    // Only delta honours it (and adds it to Preference-Applied there); plain lists ignore it.
    const p = /^odata\.maxpagesize\s*=\s*"?(\d+)"?$/i.exec(part);
    if (p && Number(p[1]) > 0) maxPageSize = Math.min(Number(p[1]), 1000);
    const b = /^outlook\.body-content-type\s*=\s*"?(text|html)"?$/i.exec(part);
    if (b) {
      bodyType = b[1].toLowerCase() as "html" | "text";
      applied.push(`outlook.body-content-type="${bodyType}"`);
    }
    if (/^IdType\s*=\s*"?ImmutableId"?$/i.test(part)) {
      immutable = true;
      applied.push('IdType="ImmutableId"');
    }
  }
  return { bodyType, immutable, maxPageSize, applied };
}

/** The Preference-Applied header for these preferences, or no header when none was honoured. */
export function preferenceApplied(applied: string[]): Record<string, string> {
  return applied.length ? { "Preference-Applied": applied.join(",") } : {};
}

export function parseTop(v: string | null, dflt: number): number {
  if (v === null) return dflt;
  if (!/^\d+$/.test(v.trim()))
    throw new GraphFailure(
      400,
      "BadRequest",
      `Invalid value '${v}' for $top query option found. The $top query option requires a non-negative integer value.`,
    );
  const n = Number(v);
  if (n > 1000)
    throw new GraphFailure(
      400,
      "BadRequest",
      `The limit of '1000' for Top query has been exceeded. The value from the incoming request is '${n}'.`,
    );
  return n;
}

export function parseSkip(v: string | null): number {
  if (v === null) return 0;
  if (!/^\d+$/.test(v.trim()))
    throw new GraphFailure(
      400,
      "BadRequest",
      `Invalid value '${v}' for $skip query option found. The $skip query option requires a non-negative integer value.`,
    );
  return Number(v);
}

export function parseSelect(
  v: string | null,
  known = [...MESSAGE_PROPS, ...SELECT_ONLY_PROPS, ...EVENT_PROPS],
  type = "message",
): string[] | null {
  if (!v) return null;
  const fields = v
    .split(",")
    .map((s) => s.trim().replace(/^microsoft\.graph\.eventMessage\//i, ""))
    .filter(Boolean);
  for (const f of fields) {
    if (!known.some((k) => k.toLowerCase() === f.toLowerCase())) {
      throw new GraphFailure(
        400,
        "RequestBroker--ParseUri",
        `Could not find a property named '${f}' on type 'microsoft.graph.${type}'.`,
      );
    }
  }
  return fields;
}

/** Absolute https nextLink keeping every original query option, with $skip advanced. */
export function nextLink(base: string, req: GraphRequest, skip: number): string {
  const parts: string[] = [];
  for (const [k, v] of req.query) if (k !== "$skip") parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  parts.push(`%24skip=${skip}`);
  return `${base}/v1.0${req.path}?${parts.join("&")}`;
}
