/**
 * The Entra app role (a value in the access token's `roles` claim, assigned to people in Enterprise
 * applications) that lets its holders change what applies to everyone in the organization: the
 * organization-wide blocklist, and reading every user's mailbox connection health.
 * A module of its own, free of zod, so the pane can import the value.
 */
export const ADMIN_APP_ROLE = "Capture.Admin";

/**
 * Application permissions (app roles whose allowed member type is Applications): what a CRM's backend,
 * calling with its own client-credentials token and no user, may do in the tenant that consented.
 */
export const APP_READ_ROLE = "Engagements.Read.All";
export const APP_WRITE_ROLE = "Engagements.ReadWrite.All";
