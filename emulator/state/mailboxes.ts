/**
 * Mailboxes: every user's folder tree (the default folders Exchange creates, plus any added) and
 * messages, indexed per mailbox and by regular and immutable id; moving, deleting and delivering mail.
 */
import type { Clock } from "../../server/clock";
import { type DatasetFolder, type DatasetMessage, type GraphEmailAddress, resolveTime, toRecipient } from "../dataset";
import * as ids from "../ids";
import type { Directory } from "./directory";

export interface FolderRecord {
  id: string;
  userId: string;
  /** Dataset key (or well-known name for default folders). */
  key: string;
  displayName: string;
  parentFolderId: string | null;
  wellKnownName: string | null;
  isHidden: boolean;
  containerClass: string | null;
  /** Outside the visible tree (Recoverable Items): not in listings nor in /me/messages. */
  outsideTree: boolean;
}

export interface MessageRecord {
  key: string;
  userId: string;
  folderId: string;
  /** Regular id; changes when the item moves. */
  id: string;
  immutableId: string;
  moveCount: number;
  changeKey: string;
  messageClass: string;
  meetingMessageType: string | null;
  internetMessageId: string;
  conversationId: string;
  subject: string;
  body: { contentType: "html" | "text"; content: string };
  from: GraphEmailAddress | null;
  sender: GraphEmailAddress | null;
  toRecipients: GraphEmailAddress[];
  ccRecipients: GraphEmailAddress[];
  bccRecipients: GraphEmailAddress[];
  replyTo: GraphEmailAddress[];
  sentDateTime: Date | null;
  receivedDateTime: Date;
  createdDateTime: Date;
  lastModifiedDateTime: Date;
  isRead: boolean;
  isDraft: boolean;
  importance: string;
  inferenceClassification: string;
  categories: string[];
  hasAttachments: boolean;
  internetMessageHeaders: { name: string; value: string }[];
  /** Extended properties set by the client (not the message class, which has its own field). */
  singleValueExtendedProperties: { id: string; value: string }[];
}

/**
 * A change to one message, for change notifications: created, updated (properties or read state),
 * moved (its regular id changed from `previousId`, out of `fromFolderId`), or deleted (gone from the store).
 */
export interface MailboxChange {
  kind: "created" | "updated" | "moved" | "deleted";
  message: MessageRecord;
  fromFolderId?: string;
  previousId?: string;
}

export interface AddMessageInput extends Omit<DatasetMessage, "userId"> {
  folder?: string;
}

/** Default folder tree of every mailbox (displayName, well-known name, parent, hidden, container class). */
const DEFAULT_FOLDERS: {
  wk: string;
  name: string;
  parent: string | null;
  hidden?: boolean;
  cls?: string | null;
  outside?: boolean;
}[] = [
  { wk: "msgfolderroot", name: "Top of Information Store", parent: null, cls: null },
  { wk: "inbox", name: "Inbox", parent: "msgfolderroot" },
  { wk: "sentitems", name: "Sent Items", parent: "msgfolderroot" },
  { wk: "drafts", name: "Drafts", parent: "msgfolderroot" },
  { wk: "deleteditems", name: "Deleted Items", parent: "msgfolderroot" },
  { wk: "junkemail", name: "Junk Email", parent: "msgfolderroot" },
  { wk: "archive", name: "Archive", parent: "msgfolderroot" },
  { wk: "outbox", name: "Outbox", parent: "msgfolderroot" },
  { wk: "conversationhistory", name: "Conversation History", parent: "msgfolderroot" },
  { wk: "teamchat", name: "Team Chat", parent: "conversationhistory", hidden: true, cls: "IPF.SkypeTeams.Message" },
  { wk: "clutter", name: "Clutter", parent: "msgfolderroot", hidden: true },
  { wk: "rssfeeds", name: "RSS Feeds", parent: "msgfolderroot", cls: "IPF.Note.OutlookHomepage" },
  { wk: "syncissues", name: "Sync Issues", parent: "msgfolderroot", cls: "IPF.Note" },
  { wk: "conflicts", name: "Conflicts", parent: "syncissues" },
  { wk: "localfailures", name: "Local Failures", parent: "syncissues" },
  { wk: "serverfailures", name: "Server Failures", parent: "syncissues" },
  { wk: "recoverableitemsdeletions", name: "Deletions", parent: null, hidden: true, outside: true },
];
/** Graph well-known names (the two extra keys above, teamchat/rssfeeds, are only dataset handles). */
export const GRAPH_WELL_KNOWN = new Set([
  "archive",
  "clutter",
  "conflicts",
  "conversationhistory",
  "deleteditems",
  "drafts",
  "inbox",
  "junkemail",
  "localfailures",
  "msgfolderroot",
  "outbox",
  "recoverableitemsdeletions",
  "scheduled",
  "searchfolders",
  "sentitems",
  "serverfailures",
  "syncissues",
]);

const MEETING_CLASS: Record<string, string> = {
  meetingRequest: "IPM.Schedule.Meeting.Request",
  meetingCancelled: "IPM.Schedule.Meeting.Canceled",
  meetingAccepted: "IPM.Schedule.Meeting.Resp.Pos",
  meetingTenativelyAccepted: "IPM.Schedule.Meeting.Resp.Tent",
  meetingDeclined: "IPM.Schedule.Meeting.Resp.Neg",
  none: "IPM.Schedule.Meeting.Notification",
};

export function htmlToText(html: string): string {
  return html
    .replace(/<(br|\/p|\/div|\/li|\/tr)\b[^>]*>/gi, "\r\n")
    .replace(/<style[\s\S]*?<\/style>|<script[\s\S]*?<\/script>/gi, "")
    .replace(/<[^>]+>/g, "")
    .replace(/&nbsp;/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/[ \t]+\r\n/g, "\r\n")
    .trim();
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export class Mailboxes {
  readonly folders = new Map<string, FolderRecord>();
  /** All messages by internal key. */
  readonly messages = new Map<string, MessageRecord>();
  private byRegularId = new Map<string, string>();
  private byImmutableId = new Map<string, string>();
  // Per-mailbox indexes, so a request costs O(that mailbox), not O(every mailbox): benchmarks hold thousands.
  private messagesByUser = new Map<string, Map<string, MessageRecord>>();
  private foldersByUser = new Map<string, FolderRecord[]>();
  /** Observers of message changes (change notifications subscribe here). */
  readonly listeners: ((c: MailboxChange) => void)[] = [];

  constructor(
    private readonly directory: Directory,
    private readonly clock: Clock,
  ) {}

  private indexFolder(f: FolderRecord): void {
    const list = this.foldersByUser.get(f.userId);
    if (list) list.push(f);
    else this.foldersByUser.set(f.userId, [f]);
  }

  /** Give a user's mailbox the default folder tree, unless it has one already. */
  createDefaultFolders(userId: string): void {
    if (this.findFolder(userId, "msgfolderroot")) return;
    const keyToId = new Map<string, string>();
    for (const f of DEFAULT_FOLDERS) {
      const id = ids.folderId(userId, f.wk);
      keyToId.set(f.wk, id);
      const folder: FolderRecord = {
        id,
        userId,
        key: f.wk,
        displayName: f.name,
        parentFolderId: f.parent ? keyToId.get(f.parent)! : null,
        wellKnownName: GRAPH_WELL_KNOWN.has(f.wk) ? f.wk : null,
        isHidden: f.hidden ?? false,
        containerClass: f.cls === undefined ? "IPF.Note" : f.cls,
        outsideTree: f.outside ?? false,
      };
      this.folders.set(id, folder);
      this.indexFolder(folder);
    }
  }

  addFolder(userId: string, f: Omit<DatasetFolder, "userId"> & { key?: string }): FolderRecord {
    this.directory.requireUser(userId);
    const key = f.key ?? ids.randomKey();
    const parent = this.findFolder(userId, f.parent ?? "msgfolderroot");
    if (!parent) throw new Error(`Unknown parent folder ${f.parent} for ${userId}`);
    const id = ids.folderId(userId, `user:${key}`);
    const rec: FolderRecord = {
      id,
      userId,
      key,
      displayName: f.displayName,
      parentFolderId: parent.id,
      wellKnownName: null,
      isHidden: f.isHidden ?? false,
      containerClass: f.containerClass === undefined ? "IPF.Note" : f.containerClass,
      outsideTree: false,
    };
    this.folders.set(id, rec);
    this.indexFolder(rec);
    return rec;
  }

  /** A folder by Graph id, well-known name, dataset key or (last) display name. */
  findFolder(userId: string, ref: string): FolderRecord | undefined {
    const direct = this.folders.get(ref);
    if (direct && direct.userId === userId) return direct;
    const r = ref.toLowerCase();
    let byName: FolderRecord | undefined;
    for (const f of this.foldersByUser.get(userId) ?? []) {
      if (f.wellKnownName === r || f.key.toLowerCase() === r) return f;
      if (!byName && f.displayName.toLowerCase() === r) byName = f;
    }
    return byName;
  }

  foldersOf(userId: string): FolderRecord[] {
    return [...(this.foldersByUser.get(userId) ?? [])];
  }

  /**
   * Put a message in a mailbox. Its createdDateTime and lastModifiedDateTime (unless given) are when the
   * item came into this mailbox: now — even for mail whose receivedDateTime is backdated, as Exchange
   * stamps an item created now — except for `preexisting` items (the dataset a mailbox starts with),
   * which were created when they were received. Incremental listings (`lastModifiedDateTime ge …`)
   * depend on this: mail a test adds later must look new, as it would in a real mailbox.
   */
  addMessage(userId: string, m: AddMessageInput, opts: { preexisting?: boolean } = {}): MessageRecord {
    const user = this.directory.requireUser(userId);
    const now = this.clock.now();
    const folder = this.findFolder(userId, m.folder ?? "inbox");
    if (!folder) throw new Error(`Unknown folder ${m.folder} for ${userId}`);
    const key = ids.randomKey();
    const received = resolveTime(m.receivedDateTime, now) ?? resolveTime(m.sentDateTime, now) ?? now;
    const sent = m.isDraft
      ? (resolveTime(m.sentDateTime, now) ?? null)
      : (resolveTime(m.sentDateTime, now) ?? new Date(received.getTime() - 1000));
    const arrived = opts.preexisting || received.getTime() > now.getTime() ? received : now;
    const created = resolveTime(m.createdDateTime, now) ?? arrived;
    const modified =
      resolveTime(m.lastModifiedDateTime, now) ?? (created.getTime() > arrived.getTime() ? created : arrived);
    const meeting = m.meetingMessageType ?? null;
    const from = m.from
      ? toRecipient(m.from)
      : m.isDraft
        ? null
        : toRecipient({ name: user.displayName, address: user.mail });
    const content = m.body ?? "";
    const rec: MessageRecord = {
      key,
      userId,
      folderId: folder.id,
      id: ids.messageRegularId(userId, key, folder.id, 0),
      immutableId: ids.messageImmutableId(userId, key),
      moveCount: 0,
      changeKey: ids.changeKey(),
      messageClass: m.messageClass ?? (meeting ? MEETING_CLASS[meeting] : "IPM.Note"),
      meetingMessageType: meeting,
      internetMessageId: m.internetMessageId ?? ids.newInternetMessageId(),
      conversationId: m.conversationId ?? ids.conversationId(m.subject?.replace(/^(re|fw|fwd):\s*/i, "") ?? key),
      subject: m.subject ?? "",
      body:
        m.bodyContentType === "text"
          ? { contentType: "text", content }
          : {
              contentType: "html",
              content: content.startsWith("<")
                ? content
                : `<html><body><div>${escapeHtml(content)}</div></body></html>`,
            },
      from,
      sender: m.sender ? toRecipient(m.sender) : from,
      toRecipients: (m.to ?? []).map(toRecipient),
      ccRecipients: (m.cc ?? []).map(toRecipient),
      bccRecipients: (m.bcc ?? []).map(toRecipient),
      replyTo: (m.replyTo ?? []).map(toRecipient),
      sentDateTime: sent,
      receivedDateTime: received,
      createdDateTime: created,
      lastModifiedDateTime: modified,
      isRead: m.isRead ?? false,
      isDraft: m.isDraft ?? false,
      importance: m.importance ?? "normal",
      inferenceClassification: m.inferenceClassification ?? "focused",
      categories: m.categories ?? [],
      hasAttachments: m.hasAttachments ?? false,
      internetMessageHeaders: m.internetMessageHeaders ?? [],
      singleValueExtendedProperties: (m.singleValueExtendedProperties ?? []).map((p) => ({
        id: p.id.trim(),
        value: p.value,
      })),
    };
    this.messages.set(key, rec);
    const mine = this.messagesByUser.get(userId);
    if (mine) mine.set(key, rec);
    else this.messagesByUser.set(userId, new Map([[key, rec]]));
    this.byRegularId.set(rec.id, key);
    this.byImmutableId.set(rec.immutableId, key);
    this.emit({ kind: "created", message: rec });
    return rec;
  }

  private emit(c: MailboxChange): void {
    for (const l of this.listeners) l(c);
  }

  /** A message of this user by regular or immutable id. */
  findMessage(userId: string, id: string): MessageRecord | undefined {
    const key = this.byRegularId.get(id) ?? this.byImmutableId.get(id);
    const m = key ? this.messages.get(key) : undefined;
    return m && m.userId === userId ? m : undefined;
  }

  getMessages(userId: string): MessageRecord[] {
    return [...(this.messagesByUser.get(userId)?.values() ?? [])];
  }

  /** Move to another folder: the regular id changes (old one stops resolving), the immutable id stays. */
  moveMessage(userId: string, id: string, folderRef: string): MessageRecord {
    const m = this.findMessage(userId, id);
    if (!m) throw new Error(`Unknown message ${id}`);
    const folder = this.findFolder(userId, folderRef);
    if (!folder) throw new Error(`Unknown folder ${folderRef}`);
    this.byRegularId.delete(m.id);
    const fromFolderId = m.folderId;
    const previousId = m.id;
    m.folderId = folder.id;
    m.moveCount += 1;
    m.id = ids.messageRegularId(userId, m.key, folder.id, m.moveCount);
    this.byRegularId.set(m.id, m.key);
    this.stamp(m);
    this.emit({ kind: "moved", message: m, fromFolderId, previousId });
    return m;
  }

  deleteMessage(userId: string, id: string): void {
    const m = this.findMessage(userId, id);
    if (!m) return;
    this.messages.delete(m.key);
    this.messagesByUser.get(m.userId)?.delete(m.key);
    this.byRegularId.delete(m.id);
    this.byImmutableId.delete(m.immutableId);
    this.emit({ kind: "deleted", message: m });
  }

  /** A change to the message's properties: new changeKey and lastModifiedDateTime. */
  touch(m: MessageRecord): void {
    this.stamp(m);
    this.emit({ kind: "updated", message: m });
  }

  private stamp(m: MessageRecord): void {
    m.changeKey = ids.changeKey();
    m.lastModifiedDateTime = this.clock.now();
  }

  /**
   * Send a message from `userId`: a copy lands in Sent Items (fresh internetMessageId unless the draft
   * already had one, sentDateTime = now) and in the Inbox of every emulated recipient (to, cc, bcc).
   */
  deliver(userId: string, draft: MessageRecord | AddMessageInput, saveToSentItems = true): MessageRecord | null {
    const user = this.directory.requireUser(userId);
    const now = this.clock.now();
    let sentCopy: MessageRecord | null = null;
    let record: MessageRecord;
    if ("key" in draft) {
      record = draft;
      if (saveToSentItems) this.moveMessage(userId, record.id, "sentitems");
      else this.deleteMessage(userId, record.id);
      record.isDraft = false;
      record.isRead = true;
      record.sentDateTime = now;
      record.receivedDateTime = now;
      record.from = record.from ?? toRecipient({ name: user.displayName, address: user.mail });
      record.sender = record.sender ?? record.from;
      this.touch(record);
      if (saveToSentItems) sentCopy = record;
    } else {
      record = this.addMessage(userId, {
        ...draft,
        folder: "sentitems",
        from: draft.from ?? { name: user.displayName, address: user.mail },
        sentDateTime: now.toISOString(),
        receivedDateTime: now.toISOString(),
        isRead: true,
        isDraft: false,
      });
      if (saveToSentItems) sentCopy = record;
      else this.deleteMessage(userId, record.id);
    }
    const recipients = [...record.toRecipients, ...record.ccRecipients, ...record.bccRecipients];
    const delivered = new Set<string>();
    for (const r of recipients) {
      const target = this.directory.findUserByAddress(r.emailAddress.address);
      if (!target || delivered.has(target.id) || target.id === userId) continue;
      delivered.add(target.id);
      this.addMessage(target.id, {
        folder: "inbox",
        subject: record.subject,
        body: record.body.content,
        bodyContentType: record.body.contentType,
        from: record.from!.emailAddress,
        to: record.toRecipients.map((x) => x.emailAddress),
        cc: record.ccRecipients.map((x) => x.emailAddress),
        sentDateTime: now.toISOString(),
        receivedDateTime: now.toISOString(),
        internetMessageId: record.internetMessageId,
        conversationId: record.conversationId,
        messageClass: record.messageClass,
      });
    }
    return sentCopy;
  }
}
