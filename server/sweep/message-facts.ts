/**
 * Graph message JSON → what the capture rules read (MessageFacts) and what an engagement stores (pure).
 * Graph's answer is checked here, field by field: a listed message with a missing selected field or a
 * wrong type is a malformed answer (MalformedGraphResponseError) — the sweep fails with that error
 * rather than deciding on guesses. Graph returns null for unset values, which is fine.
 */
import { MESSAGE_CLASS_PROPERTY_ID, normalizeAddress, type FolderFacts, type MessageFacts } from "../../shared/capture";
import type { CaptureDecision } from "../../shared/capture";
import type { EngagementInput } from "../store/capture-decisions";
import { MalformedGraphResponseError } from "./errors";

/** The fields the listing selects: the rules' inputs and the engagement's metadata. Never bcc, never content. */
export const LIST_SELECT = [
  "id",
  "internetMessageId",
  "conversationId",
  "parentFolderId",
  "from",
  "toRecipients",
  "ccRecipients",
  "sentDateTime",
  "receivedDateTime",
  "isDraft",
  "webLink",
] as const;

/** Selected only for captured messages not yet stored in the organization (the $batch body fetch). */
export const CONTENT_SELECT = ["subject", "bodyPreview", "body", "uniqueBody"] as const;

/** `$expand` value that returns the message class (PidTagMessageClass). */
export const MESSAGE_CLASS_EXPAND = `singleValueExtendedProperties($filter=id eq '${MESSAGE_CLASS_PROPERTY_ID}')`;

export interface GraphRecipient {
  address: string | null;
  name: string | null;
}

/** One listed message, validated. */
export interface ListedMessage {
  /** Immutable id (we always ask for IdType="ImmutableId"). */
  id: string;
  /** Trimmed RFC 2822 id; a synthetic one when Graph has none (see syntheticMessageId). */
  internetMessageId: string;
  conversationId: string | null;
  parentFolderId: string | null;
  odataType: string | null;
  messageClass: string | null;
  from: GraphRecipient | null;
  to: GraphRecipient[];
  cc: GraphRecipient[];
  sentDateTime: string | null;
  receivedDateTime: string;
  isDraft: boolean;
  webLink: string | null;
}

export interface MessageContent {
  subject: string | null;
  bodyPreview: string | null;
  bodyText: string | null;
}

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function malformed(what: string): never {
  throw new MalformedGraphResponseError(`Graph returned a malformed message: ${what}.`);
}

function present(m: Json, key: string): unknown {
  if (!(key in m)) malformed(`the selected field "${key}" is missing`);
  return m[key];
}

/**
 * U+0000 cannot be stored in PostgreSQL text or jsonb (SQLite could, but both databases keep the same
 * data): anyone can send mail with it in a subject or a display name, and one such message must not
 * fail every later sweep of the mailbox. It is dropped from every string taken from Graph.
 */
function clean(s: string): string {
  return s.includes("\u0000") ? s.replaceAll("\u0000", "") : s;
}

/**
 * Fields that may be unset are read as null whether Graph sends `null` or leaves them out (OData
 * servers may omit nulls); the fields a decision cannot do without (id, receivedDateTime, isDraft)
 * must be present.
 */
function optional(m: Json, key: string): unknown {
  return key in m ? m[key] : null;
}

function str(m: Json, key: string, nullable: true): string | null;
function str(m: Json, key: string, nullable: false): string;
function str(m: Json, key: string, nullable: boolean): string | null {
  const v = nullable ? optional(m, key) : present(m, key);
  if (v === null && nullable) return null;
  if (typeof v !== "string") malformed(`"${key}" is ${v === null ? "null" : `a ${typeof v}`}, not a string`);
  return clean(v);
}

function time(m: Json, key: string, nullable: boolean): string | null {
  const v = nullable ? str(m, key, true) : str(m, key, false);
  if (v === null) return null;
  if (Number.isNaN(Date.parse(v))) malformed(`"${key}" is not a date-time`);
  return new Date(v).toISOString();
}

function recipient(v: unknown, key: string): GraphRecipient | null {
  if (v === null) return null;
  if (!isObj(v)) malformed(`"${key}" holds something that is not a recipient`);
  const e = v.emailAddress;
  if (e === null || e === undefined) return { address: null, name: null };
  if (!isObj(e)) malformed(`"${key}.emailAddress" is not an object`);
  const address = e.address ?? null;
  const name = e.name ?? null;
  if (address !== null && typeof address !== "string") malformed(`"${key}.emailAddress.address" is not a string`);
  if (name !== null && typeof name !== "string") malformed(`"${key}.emailAddress.name" is not a string`);
  return {
    address: address === null ? null : clean(address as string),
    name: name === null ? null : clean(name as string),
  };
}

function recipients(m: Json, key: string): GraphRecipient[] {
  const v = optional(m, key);
  if (v === null) return [];
  if (!Array.isArray(v)) malformed(`"${key}" is not a list`);
  return v.map((r) => recipient(r, key)).filter((r): r is GraphRecipient => r !== null);
}

/** The message class from the expanded extended property; null when Graph did not return it (unset). */
function messageClassOf(m: Json): string | null {
  const props = m.singleValueExtendedProperties;
  if (props === undefined || props === null) return null;
  if (!Array.isArray(props)) malformed(`"singleValueExtendedProperties" is not a list`);
  for (const p of props) {
    if (!isObj(p) || typeof p.id !== "string") malformed("an extended property has no id");
    // Exchange echoes the id in its own spelling ("String 0x1a"): compare the tag numerically.
    const tag = /^\s*string\s+0x([0-9a-f]+)\s*$/i.exec(p.id);
    if (tag && parseInt(tag[1], 16) === 0x1a) {
      if (p.value !== null && typeof p.value !== "string") malformed("the message class is not a string");
      return p.value === null || p.value === undefined ? null : clean(p.value as string);
    }
  }
  return null;
}

/**
 * A message without an internetMessageId cannot be matched across mailboxes; it still gets a stable
 * key (from its immutable id) so its decision is recorded once and re-running changes nothing.
 */
export function syntheticMessageId(immutableId: string): string {
  return `<graph-immutable-id.${immutableId}@engagement-capture.invalid>`;
}

/** Validate one listed message. Throws MalformedGraphResponseError. */
export function parseListedMessage(raw: unknown): ListedMessage {
  if (!isObj(raw)) malformed("an item of the list is not an object");
  const id = str(raw, "id", false);
  if (!id.trim()) malformed(`"id" is empty`);
  const imid = str(raw, "internetMessageId", true)?.trim() || null;
  const odataType = raw["@odata.type"];
  if (odataType !== undefined && odataType !== null && typeof odataType !== "string")
    malformed(`"@odata.type" is not a string`);
  const isDraft = present(raw, "isDraft");
  if (isDraft !== null && typeof isDraft !== "boolean") malformed(`"isDraft" is not a boolean`);
  return {
    id,
    internetMessageId: imid ?? syntheticMessageId(id),
    conversationId: str(raw, "conversationId", true),
    parentFolderId: str(raw, "parentFolderId", true),
    odataType: (odataType as string | undefined) ?? null,
    messageClass: messageClassOf(raw),
    from: recipient(optional(raw, "from"), "from"),
    to: recipients(raw, "toRecipients"),
    cc: recipients(raw, "ccRecipients"),
    sentDateTime: time(raw, "sentDateTime", true),
    receivedDateTime: time(raw, "receivedDateTime", false)!,
    isDraft: isDraft === true,
    webLink: str(raw, "webLink", true),
  };
}

/** Validate the content fields of a fetched message (body in text, thanks to the Prefer header). */
export function parseMessageContent(raw: unknown): MessageContent {
  if (!isObj(raw)) malformed("the fetched message is not an object");
  const body = (key: string): string | null => {
    const v = raw[key];
    if (v === undefined || v === null) return null;
    if (!isObj(v)) malformed(`"${key}" is not an item body`);
    const content = v.content ?? null;
    if (content !== null && typeof content !== "string") malformed(`"${key}.content" is not a string`);
    return content === null ? null : clean(content as string);
  };
  const subject = raw.subject ?? null;
  if (subject !== null && typeof subject !== "string") malformed(`"subject" is not a string`);
  const preview = raw.bodyPreview ?? null;
  if (preview !== null && typeof preview !== "string") malformed(`"bodyPreview" is not a string`);
  const unique = body("uniqueBody");
  // The full body is what the CRM keeps; the preview prefers the part new to this message
  // (uniqueBody drops quoted history), falling back to Graph's own preview.
  const uniquePreview = unique ? unique.replace(/\s+/g, " ").trim().slice(0, 255) : "";
  return {
    subject: subject === null ? null : clean(subject as string),
    bodyText: body("body"),
    bodyPreview: uniquePreview || (preview === null ? null : clean(preview as string)),
  };
}

/** What the capture rules read, given the folder path the folder map resolved. */
export function toMessageFacts(m: ListedMessage, folderPath: ReadonlyArray<FolderFacts> | null): MessageFacts {
  return {
    messageClass: m.messageClass,
    odataType: m.odataType,
    folderPath,
    isDraft: m.isDraft,
    from: m.from?.address ?? null,
    to: m.to.map((r) => r.address),
    cc: m.cc.map((r) => r.address),
    sentDateTime: m.sentDateTime,
    receivedDateTime: m.receivedDateTime,
  };
}

/** from/to/cc, normalised, first occurrence of an address wins; never bcc. */
export function participantsOf(m: ListedMessage): EngagementInput["participants"] {
  const out: EngagementInput["participants"] = [];
  const seen = new Set<string>();
  const add = (r: GraphRecipient | null, role: "from" | "to" | "cc") => {
    const address = normalizeAddress(r?.address);
    if (!address || seen.has(address)) return;
    seen.add(address);
    out.push({ address, name: r?.name?.trim() ? r.name : null, role });
  };
  add(m.from, "from");
  m.to.forEach((r) => add(r, "to"));
  m.cc.forEach((r) => add(r, "cc"));
  return out;
}

/** The engagement row for a captured message; content is null when the engagement already exists in the organization. */
export function toEngagementInput(
  m: ListedMessage,
  decision: CaptureDecision,
  content: MessageContent | null,
): EngagementInput {
  return {
    internetMessageId: m.internetMessageId,
    conversationId: m.conversationId,
    subject: content?.subject ?? null,
    bodyText: content?.bodyText ?? null,
    bodyPreview: content?.bodyPreview ?? null,
    direction: decision.direction,
    messageTime: decision.messageTime,
    sentAt: m.sentDateTime,
    receivedAt: m.receivedDateTime,
    fromAddress: normalizeAddress(m.from?.address),
    participants: participantsOf(m),
  };
}
