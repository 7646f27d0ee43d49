/**
 * Role addresses: mailboxes that stand for a team, a function or a machine (all@, sales@, noreply@),
 * not for one person. Tracking one captures everyone's mail with it, so the pane warns first and the
 * server may refuse or warn with the same list. Pure: shared by the pane and the server.
 */

/** Local parts (before "@") that name a role, compared lower-case with separators (".", "-", "_") removed. */
export const ROLE_LOCAL_PARTS: readonly string[] = [
  "all",
  "allstaff",
  "everyone",
  "staff",
  "team",
  "office",
  "info",
  "hello",
  "contact",
  "enquiries",
  "inquiries",
  "support",
  "help",
  "helpdesk",
  "service",
  "customerservice",
  "sales",
  "marketing",
  "billing",
  "accounts",
  "accounting",
  "finance",
  "invoices",
  "hr",
  "jobs",
  "careers",
  "admin",
  "administrator",
  "webmaster",
  "postmaster",
  "hostmaster",
  "abuse",
  "security",
  "privacy",
  "legal",
  "press",
  "media",
  "news",
  "newsletter",
  "notifications",
  "alerts",
  "noreply",
  "donotreply",
  "mailerdaemon",
  "bounce",
  "bounces",
];

const ROLE_SET = new Set(ROLE_LOCAL_PARTS);
/** Prefixes that make a local part a role on their own ("all-staff", "noreply-billing", "team.emea"). */
const ROLE_PREFIXES = ["all", "team", "noreply", "donotreply", "everyone"];

function squash(localPart: string): string {
  return localPart.toLowerCase().replace(/\+.*$/, "").replace(/[._-]/g, "");
}

/**
 * Whether an address looks like a role or group mailbox rather than a person: its local part is a
 * known role ("info", "support", "no-reply") or starts with a group word followed by a separator
 * ("all-staff", "team.sales"). Case and sub-addressing ("+tag") are ignored.
 */
export function isRoleAddress(address: string): boolean {
  const at = address.lastIndexOf("@");
  if (at <= 0) return false;
  const raw = address.slice(0, at).trim().toLowerCase().replace(/\+.*$/, "");
  if (ROLE_SET.has(squash(raw))) return true;
  const head = raw.split(/[._-]/)[0];
  return raw !== head && ROLE_PREFIXES.includes(head);
}
