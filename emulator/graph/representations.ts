/**
 * The JSON Graph answers for a message (or eventMessage), a mail folder and a user, with $select and
 * the extended properties asked for by $expand projected as Exchange does.
 */
import { type EmulatorState, type FolderRecord, type MessageRecord, type UserRecord, htmlToText } from "../state";
import { GraphFailure, type GraphRequest, iso } from "./protocol";
import { FOLDER_PROPS, expandedPropIds, normalizePropId, parseSelect, samePropId } from "./query";

export interface MessageView {
  select: string[] | null;
  expand: string[] | null;
  prefer: { bodyType: "html" | "text" | null; immutable: boolean };
}

/** Every property a plain GET returns, in Graph's order. */
function messageProperties(m: MessageRecord, id: string, bodyType: "html" | "text" | null): Record<string, unknown> {
  const text = m.body.contentType === "html" ? htmlToText(m.body.content) : m.body.content;
  const body =
    bodyType === "text" && m.body.contentType === "html"
      ? { contentType: "text", content: text }
      : { contentType: m.body.contentType, content: m.body.content };
  return {
    id,
    createdDateTime: iso(m.createdDateTime),
    lastModifiedDateTime: iso(m.lastModifiedDateTime),
    changeKey: m.changeKey,
    categories: m.categories,
    receivedDateTime: iso(m.receivedDateTime),
    sentDateTime: iso(m.sentDateTime),
    hasAttachments: m.hasAttachments,
    internetMessageId: m.internetMessageId,
    subject: m.subject,
    bodyPreview: text.replace(/\s+/g, " ").trim().slice(0, 255),
    importance: m.importance,
    parentFolderId: m.folderId,
    conversationId: m.conversationId,
    conversationIndex: Buffer.from(m.conversationId.slice(0, 22)).toString("base64"),
    isDeliveryReceiptRequested: false,
    isReadReceiptRequested: false,
    isRead: m.isRead,
    isDraft: m.isDraft,
    webLink: `https://outlook.office365.com/owa/?ItemID=${encodeURIComponent(id)}&exvsurl=1&viewmodel=ReadMessageItem`,
    inferenceClassification: m.inferenceClassification,
    body,
    sender: m.sender,
    from: m.from,
    toRecipients: m.toRecipients,
    ccRecipients: m.ccRecipients,
    bccRecipients: m.bccRecipients,
    replyTo: m.replyTo,
    flag: { flagStatus: "notFlagged" },
  };
}

/** The eventMessage properties of meeting traffic (none for plain mail). */
function eventProperties(m: MessageRecord): Record<string, unknown> {
  if (m.meetingMessageType === null) return {};
  return {
    meetingMessageType: m.meetingMessageType,
    type: "singleInstance",
    isOutOfDate: false,
    isAllDay: false,
    isDelegated: false,
    startDateTime: {
      dateTime: iso(new Date(m.receivedDateTime.getTime() + 86_400_000))!.replace("Z", ".0000000"),
      timeZone: "UTC",
    },
    endDateTime: {
      dateTime: iso(new Date(m.receivedDateTime.getTime() + 86_400_000 + 1_800_000))!.replace("Z", ".0000000"),
      timeZone: "UTC",
    },
    location: { displayName: "", locationType: "default", uniqueIdType: "unknown" },
  };
}

/** The asked-for extended properties the message has (its message class answers PR_MESSAGE_CLASS, 0x1a). */
function expandedMessageProps(m: MessageRecord, expand: string[]): { id: string; value: string }[] {
  const props: { id: string; value: string }[] = [];
  for (const wanted of expand) {
    const n = normalizePropId(wanted);
    if (n.toLowerCase() === "string 0x1a") props.push({ id: n, value: m.messageClass });
    const own = m.singleValueExtendedProperties.find((p) => samePropId(p.id, wanted));
    if (own) props.push({ id: own.id, value: own.value });
  }
  return props;
}

export function messageJson(st: EmulatorState, m: MessageRecord, o: MessageView): Record<string, unknown> {
  const id = o.prefer.immutable ? m.immutableId : m.id;
  const all = messageProperties(m, id, o.prefer.bodyType);
  const extra = eventProperties(m);
  const selectOnly: Record<string, unknown> = {
    uniqueBody: all.body,
    internetMessageHeaders: m.internetMessageHeaders,
  };
  const out: Record<string, unknown> = {};
  if (m.meetingMessageType !== null) out["@odata.type"] = "#microsoft.graph.eventMessage";
  out["@odata.etag"] = `W/"${m.changeKey}"`;
  if (o.select) {
    out.id = id;
    for (const p of o.select) {
      const key = Object.keys({ ...all, ...selectOnly, ...extra }).find((k) => k.toLowerCase() === p.toLowerCase());
      if (key && key !== "id") out[key] = all[key] ?? selectOnly[key] ?? extra[key];
    }
  } else {
    Object.assign(out, all, extra);
  }
  if (o.expand) {
    out["singleValueExtendedProperties@odata.context"] =
      `${st.url}/v1.0/$metadata#users('${m.userId}')/messages('${id}')/singleValueExtendedProperties`;
    out.singleValueExtendedProperties = expandedMessageProps(m, o.expand);
  }
  return out;
}

export function folderJson(st: EmulatorState, f: FolderRecord, req: GraphRequest): Record<string, unknown> {
  const msgs = st.getMessages(f.userId).filter((m) => m.folderId === f.id);
  const children = st.foldersOf(f.userId).filter((c) => c.parentFolderId === f.id);
  const all: Record<string, unknown> = {
    id: f.id,
    displayName: f.displayName,
    parentFolderId: f.parentFolderId ?? f.id,
    childFolderCount: children.length,
    unreadItemCount: msgs.filter((m) => !m.isRead).length,
    totalItemCount: msgs.length,
    sizeInBytes: msgs.reduce((n, m) => n + m.body.content.length + 512, 0),
    isHidden: f.isHidden,
  };
  const select = parseSelect(req.query.get("$select"), FOLDER_PROPS, "mailFolder");
  const out: Record<string, unknown> = {};
  if (select) {
    out.id = f.id;
    for (const p of select) {
      const key = FOLDER_PROPS.find((k) => k.toLowerCase() === p.toLowerCase())!;
      out[key] = all[key];
    }
  } else Object.assign(out, all);
  const expand = expandedPropIds(req.query.get("$expand"));
  if (expand) {
    const props: { id: string; value: string }[] = [];
    for (const wanted of expand) {
      const n = normalizePropId(wanted);
      // PR_CONTAINER_CLASS.
      if (n.toLowerCase() === "string 0x3613" && f.containerClass) props.push({ id: n, value: f.containerClass });
    }
    out["singleValueExtendedProperties@odata.context"] =
      `${st.url}/v1.0/$metadata#users('${f.userId}')/mailFolders('${f.id}')/singleValueExtendedProperties`;
    out.singleValueExtendedProperties = props;
  }
  return out;
}

export function userJson(st: EmulatorState, u: UserRecord, req: GraphRequest): Record<string, unknown> {
  const all: Record<string, unknown> = {
    businessPhones: [],
    displayName: u.displayName,
    givenName: u.givenName ?? u.displayName.split(" ")[0] ?? null,
    jobTitle: u.jobTitle ?? null,
    mail: u.mail,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: "en-US",
    surname: u.surname ?? u.displayName.split(" ").slice(1).join(" ") ?? null,
    userPrincipalName: u.userPrincipalName,
    id: u.id,
  };
  const extraSelectable: Record<string, unknown> = {
    proxyAddresses: u.proxyAddresses,
    otherMails: [],
    mailNickname: u.mail.split("@")[0],
  };
  const select = req.query.get("$select");
  const ctx = `${st.url}/v1.0/$metadata#users`;
  if (!select) return { "@odata.context": `${ctx}/$entity`, ...all };
  const fields = select
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const out: Record<string, unknown> = { "@odata.context": `${ctx}(${fields.join(",")})/$entity` };
  for (const f of fields) {
    const key = Object.keys({ ...all, ...extraSelectable }).find((k) => k.toLowerCase() === f.toLowerCase());
    if (!key)
      throw new GraphFailure(
        400,
        "Request_BadRequest",
        `Could not find a property named '${f}' on type 'Microsoft.DirectoryServices.User'.`,
      );
    out[key] = all[key] ?? extraSelectable[key];
  }
  return out;
}
