/**
 * What an organization's administrators may do that other members may not. Within an organization the
 * CRM is one shared workspace (clients, contacts, engagements, personal blocklists: every member);
 * what changes capture for everyone, or shows other people's mailboxes, needs the Entra app role
 * ADMIN_APP_ROLE — assigned to people in Entra (Enterprise applications → Users and groups) and carried
 * in the access token's `roles` claim, so no role is stored here and removing an assignment takes
 * effect with the user's next token.
 */
import { ADMIN_APP_ROLE, APP_READ_ROLE, APP_WRITE_ROLE } from "../../shared/api/roles";
import { DomainError } from "../domain-error";
import type { Caller } from "../identity/token-verifier";
import type { AppContext } from "./context";
import { ApiError } from "./errors";

/** Administrators are people: an application's token never makes it one, whatever its roles claim. */
export function isAdmin(c: AppContext): boolean {
  const caller = c.get("caller");
  return caller.kind === "user" && caller.roles.includes(ADMIN_APP_ROLE);
}

/**
 * What an application (client credentials, no user) may call, by operationId, and the access it needs:
 * "read" is either app role, "write" only APP_WRITE_ROLE. Every operation not listed is a person's own
 * (their mailbox, their connection, their personal blocklist, sending as them) or acts as a user, so an
 * application is refused it (user_only): deny by default, a new operation is closed to applications
 * until it is listed here.
 */
export const APP_OPERATIONS: Readonly<Record<string, "read" | "write">> = Object.freeze({
  listEngagements: "read",
  getEngagement: "read",
  listEngagementChanges: "read",
  listContacts: "read",
  getContact: "read",
  listClients: "read",
  getClient: "read",
  createContact: "write",
  updateContact: "write",
  deleteContact: "write",
  previewContactRemoval: "read",
  listBlocklist: "read",
  addBlockEntry: "write",
  previewBlockRemoval: "read",
  deleteBlockEntry: "write",
  createWebhookEndpoint: "write",
  listWebhookEndpoints: "write",
  getWebhookEndpoint: "write",
  updateWebhookEndpoint: "write",
  deleteWebhookEndpoint: "write",
  rotateWebhookSecret: "write",
  enableWebhookEndpoint: "write",
  listWebhookDeliveries: "write",
  replayWebhookDeliveries: "write",
});

/** The app roles that grant each access. */
export const APP_ROLES_FOR: Readonly<Record<"read" | "write", readonly string[]>> = {
  read: [APP_READ_ROLE, APP_WRITE_ROLE],
  write: [APP_WRITE_ROLE],
};

/**
 * Throws unless an application caller may call the operation: user_only when applications may not call
 * it at all (or the request matched no operation), forbidden when the application lacks the role.
 * People's tokens are not checked here.
 */
export function assertAppMayCall(caller: Caller, operationId: string | null): void {
  if (caller.kind !== "app") return;
  const access =
    operationId !== null && Object.hasOwn(APP_OPERATIONS, operationId) ? APP_OPERATIONS[operationId] : null;
  if (!access) {
    throw new DomainError("user_only", "Only a signed-in user may call this operation; an application's token cannot.");
  }
  const roles = APP_ROLES_FOR[access];
  if (!roles.some((r) => caller.roles.includes(r))) {
    throw new DomainError(
      "forbidden",
      `This operation needs the ${roles.join(" or ")} application permission (app role), granted by an administrator.`,
    );
  }
}

/**
 * Whether the caller acts for the whole organization: an administrator, or an application with the write
 * role (an application is the tenant itself, never one member). Such callers untrack contacts across the
 * organization and manage its blocklist and webhooks.
 */
export function actsForOrganization(c: AppContext): boolean {
  const caller = c.get("caller");
  return isAdmin(c) || (caller.kind === "app" && APP_ROLES_FOR.write.some((r) => caller.roles.includes(r)));
}

/** An application has no mailbox, so it has no personal blocklist: 403 user_only. */
export function assertPerson(c: AppContext, what: string): void {
  if (c.get("caller").kind === "app")
    throw new DomainError("user_only", `${what} belongs to a signed-in user; an application's token cannot.`);
}

/**
 * Who made a change, as stored where the API shows it (contacts' trackedBy): the user's id, or for an
 * application "app:<client id>" (APP_ACTOR_PREFIX) — no user row, so the change is attributed to the
 * application itself.
 */
export function actorOf(c: AppContext): string {
  const caller = c.get("caller");
  return caller.kind === "app" ? `${APP_ACTOR_PREFIX}${caller.appId ?? caller.oid}` : c.get("userId");
}
export const APP_ACTOR_PREFIX = "app:";

/** 403 forbidden unless the caller is an administrator or an application with the write role. */
export function requireOrganizationActor(c: AppContext, what: string): void {
  if (!actsForOrganization(c)) requireAdmin(c, what);
}

/** 403 forbidden unless the caller is an administrator; `what` starts the sentence ("Changing … needs …"). */
export function requireAdmin(c: AppContext, what: string): void {
  if (!isAdmin(c)) {
    throw new ApiError(
      403,
      "forbidden",
      `${what} needs the ${ADMIN_APP_ROLE} role; ask an administrator of your organization.`,
    );
  }
}
