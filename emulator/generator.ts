/**
 * Large, realistic mailboxes for benchmarks and the demo: N users × M messages per day over D days,
 * a configurable share of mail with tracked contacts, and mixes of folders and message kinds.
 * Deterministic for a given seed, so benchmark runs are comparable.
 */
import type { DatasetMessage, DatasetUser, EmulatorDataset } from "./dataset";

export interface GenerateMailboxOptions {
  tenantId: string;
  /** Domain of the users' addresses (default "contoso.com"). */
  domain?: string;
  users: number;
  messagesPerDay: number;
  /** Days back from now (default 1). */
  days?: number;
  /** Addresses of tracked contacts; default 20 at fabrikam.example. */
  trackedContacts?: string[];
  /** Share (0..1) of messages that involve a tracked contact (default 0.3). */
  trackedShare?: number;
  /** Relative weights of folders (well-known names) for received mail; sent mail goes to sentitems. */
  folderMix?: Record<string, number>;
  /** Relative weights of message kinds. */
  kindMix?: Partial<Record<"note" | "smime" | "meeting" | "teams" | "rss", number>>;
  /** Share of outbound mail (default 0.3). */
  outboundShare?: number;
  seed?: number;
  /** Prefix for user ids (GUID-shaped ids are generated from it). */
  userIdPrefix?: string;
}

export interface GeneratedMailboxes {
  dataset: EmulatorDataset;
  users: DatasetUser[];
  trackedContacts: string[];
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T extends string>(rand: () => number, weights: Record<T, number>): T {
  const entries = Object.entries(weights) as [T, number][];
  const total = entries.reduce((n, [, w]) => n + w, 0);
  let r = rand() * total;
  for (const [k, w] of entries) {
    r -= w;
    if (r <= 0) return k;
  }
  return entries[entries.length - 1][0];
}

const SUBJECTS = [
  "Renewal",
  "Onboarding",
  "Quarterly review",
  "Invoice",
  "Support ticket",
  "Feature request",
  "Contract",
  "Training",
  "Pricing",
  "Follow-up",
];

export function generateMailbox(o: GenerateMailboxOptions): GeneratedMailboxes {
  const rand = mulberry32(o.seed ?? 42);
  const domain = o.domain ?? "contoso.com";
  const days = o.days ?? 1;
  const tracked = o.trackedContacts ?? Array.from({ length: 20 }, (_, i) => `contact${i + 1}@fabrikam.example`);
  const trackedShare = o.trackedShare ?? 0.3;
  const outboundShare = o.outboundShare ?? 0.3;
  const folderMix = o.folderMix ?? {
    inbox: 80,
    archive: 6,
    deleteditems: 6,
    junkemail: 3,
    clutter: 2,
    teamchat: 0,
    drafts: 0,
  };
  const kindMix: Record<string, number> = { note: 90, smime: 2, meeting: 5, teams: 2, rss: 1, ...(o.kindMix ?? {}) };
  const prefix = (o.userIdPrefix ?? "5e0c0000").slice(0, 8).padEnd(8, "0");
  const users: DatasetUser[] = Array.from({ length: o.users }, (_, i) => {
    const n = String(i + 1).padStart(4, "0");
    return {
      tenantId: o.tenantId,
      id: `${prefix}-${n}-4000-8000-${String(i + 1).padStart(12, "0")}`,
      displayName: `User ${n}`,
      mail: `user${n}@${domain}`,
      userPrincipalName: `user${n}@${domain}`,
      proxyAddresses: [`SMTP:user${n}@${domain}`],
    };
  });
  const messages: DatasetMessage[] = [];
  const total = o.messagesPerDay * days;
  const spanMs = days * 86_400_000;
  for (const u of users) {
    const self = { name: u.displayName, address: u.mail };
    for (let k = 0; k < total; k++) {
      const ageMs = Math.floor(rand() * spanMs);
      const withTracked = rand() < trackedShare;
      const other = withTracked
        ? tracked[Math.floor(rand() * tracked.length)]
        : `person${Math.floor(rand() * 500)}@example.org`;
      const kind = pick(rand, kindMix);
      const outbound = kind === "note" && rand() < outboundShare;
      const subject = `${SUBJECTS[Math.floor(rand() * SUBJECTS.length)]} #${k}`;
      const when = `-${Math.max(1, Math.round(ageMs / 1000))}s`;
      const base: DatasetMessage = {
        userId: u.id,
        subject,
        body: `<p>${subject} — generated message ${k} for ${u.displayName}.</p>`,
        receivedDateTime: when,
        sentDateTime: when,
        isRead: rand() < 0.6,
      };
      if (outbound) {
        messages.push({ ...base, folder: "sentitems", from: self, to: [other], isRead: true });
        continue;
      }
      const folder = kind === "teams" ? "teamchat" : kind === "rss" ? "rssfeeds" : pick(rand, folderMix);
      const msg: DatasetMessage = {
        ...base,
        folder,
        from: other,
        to: [self],
        cc: rand() < 0.2 ? [`cc${Math.floor(rand() * 50)}@example.org`] : [],
      };
      if (kind === "smime") msg.messageClass = "IPM.Note.SMIME";
      if (kind === "meeting") msg.meetingMessageType = "meetingRequest";
      if (kind === "teams") {
        msg.messageClass = "IPM.SkypeTeams.Message";
        msg.subject = "IM";
      }
      if (kind === "rss") msg.messageClass = "IPM.Post.RSS";
      if (folder === "drafts") {
        msg.isDraft = true;
        msg.from = self;
        msg.to = [other];
      }
      messages.push(msg);
    }
  }
  return { dataset: { users, messages }, users, trackedContacts: tracked };
}
