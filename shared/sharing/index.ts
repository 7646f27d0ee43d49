/**
 * Who sees what of an engagement: the one place sharing levels are applied. Every answer that carries
 * an engagement (list, get, history, the changes feed, message status, send, webhooks) builds its view
 * through redactEngagementView, so a field hidden here is hidden everywhere.
 *
 * Rules: the owner of a mailbox the engagement was found in sees everything; another person sees it at the
 * most generous level among its mailboxes (a message found in two mailboxes is no more secret than its
 * most open copy); an application sees the organization's integration level. An engagement in no mailbox
 * any more is shown at metadata.
 */
import type { EngagementView, SharingLevel } from "../api/contract";

export const SHARING_LEVELS: readonly SharingLevel[] = ["metadata", "subject", "everything"];

/** Who is looking: a person of the organization, or an application (client-credentials token). */
export type Viewer = { kind: "user"; userId: string } | { kind: "app" };

/** What the redaction needs to know: each mailbox's level now, and the organization's integration level. */
export interface SharingLevels {
  /** Effective level by mailbox owner's user id; an owner missing here counts as metadata. */
  readonly byUser: ReadonlyMap<string, SharingLevel>;
  readonly integration: SharingLevel;
}

export function isSharingLevel(value: unknown): value is SharingLevel {
  return typeof value === "string" && (SHARING_LEVELS as readonly string[]).includes(value);
}

export function rankOf(level: SharingLevel): number {
  return SHARING_LEVELS.indexOf(level);
}

export function mostGenerous(levels: Iterable<SharingLevel>): SharingLevel {
  let best: SharingLevel = "metadata";
  for (const l of levels) if (rankOf(l) > rankOf(best)) best = l;
  return best;
}

/** The level a viewer sees an engagement at, given the user ids of the mailboxes it was found in. */
export function visibilityFor(
  ownerIds: readonly string[],
  viewer: Viewer,
  levels: SharingLevels,
): EngagementView["visibility"] {
  if (viewer.kind === "app") return { level: levels.integration, because: "integration" };
  if (ownerIds.includes(viewer.userId)) return { level: "everything", because: "own_mailbox" };
  return { level: mostGenerous(ownerIds.map((id) => levels.byUser.get(id) ?? "metadata")), because: "shared" };
}

/** An engagement view as the full record would show it, before sharing is applied. */
export type UnredactedView = Omit<EngagementView, "visibility" | "mailboxes"> & {
  mailboxes: Omit<EngagementView["mailboxes"][number], "isCaller" | "sharing">[];
};

/** The view this viewer may see: words the level does not share are null, and the view says why. */
export function redactEngagementView(view: UnredactedView, viewer: Viewer, levels: SharingLevels): EngagementView {
  const visibility = visibilityFor(
    view.mailboxes.map((m) => m.userId),
    viewer,
    levels,
  );
  const out: EngagementView = {
    ...view,
    mailboxes: view.mailboxes.map((m) => ({
      ...m,
      isCaller: viewer.kind === "user" && m.userId === viewer.userId,
      sharing: levels.byUser.get(m.userId) ?? "metadata",
    })),
    visibility,
  };
  if (visibility.level !== "everything") {
    out.bodyPreview = null;
    out.truncated = false;
    if ("bodyText" in out) out.bodyText = null;
  }
  if (visibility.level === "metadata") out.subject = null;
  return out;
}

export { SHARING_LEVEL_LABEL, SHARING_LEVEL_WHAT, connectSharingNote, sharesSentence } from "./words";
