/**
 * What an organization's administrators may do that other members may not. Within an organization the
 * CRM is one shared workspace (clients, contacts, engagements, personal blocklists: every member);
 * what changes capture for everyone, or shows other people's mailboxes, needs the Entra app role
 * ADMIN_APP_ROLE — assigned to people in Entra (Enterprise applications → Users and groups) and carried
 * in the access token's `roles` claim, so no role is stored here and removing an assignment takes
 * effect with the user's next token.
 */
import { ADMIN_APP_ROLE } from "../../shared/api/contract";
import type { AppContext } from "./context";
import { ApiError } from "./errors";

export function isAdmin(c: AppContext): boolean {
  return c.get("caller").roles.includes(ADMIN_APP_ROLE);
}

/** 403 forbidden unless the caller is an administrator; `what` starts the sentence ("Changing … needs …"). */
export function requireAdmin(c: AppContext, what: string): void {
  if (!isAdmin(c)) {
    throw new ApiError(403, "forbidden", `${what} needs the ${ADMIN_APP_ROLE} role; ask an administrator of your organization.`);
  }
}
