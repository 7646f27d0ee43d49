/**
 * Sharing levels: what teammates see of the engagements captured from a mailbox. The owner of a mailbox
 * always sees everything of their own; applications see the organization's integration level.
 */
import { z } from "zod";

export const sharingLevelSchema = z.enum(["metadata", "subject", "everything"]).meta({
  id: "SharingLevel",
  description:
    "metadata: who and when (participants, times, direction, whose mailbox); subject: metadata and the subject; " +
    "everything: subject and the body (bodyPreview, bodyText).",
});

export const organizationSharingSchema = z
  .strictObject({
    defaultLevel: sharingLevelSchema.meta({
      description:
        "The level of every mailbox whose owner has not chosen one, including mailboxes connected from now on. Default: metadata.",
    }),
    usersMayChange: z.boolean().meta({
      description:
        "True: each user may choose their own mailbox's level (PUT /api/me/sharing). False: every mailbox is at defaultLevel " +
        "(choices made earlier are kept and apply again when this becomes true). Default: true.",
    }),
    integrationLevel: sharingLevelSchema.meta({
      description:
        "What applications (client-credentials tokens with Engagements.Read.All or Engagements.ReadWrite.All) see of every " +
        "engagement, whatever the mailboxes' levels. Default: everything (the app role is itself an administrator's grant).",
    }),
  })
  .meta({ id: "OrganizationSharing" });

export const mySharingSchema = z
  .object({
    level: sharingLevelSchema.meta({
      description: "What teammates see now of engagements captured from your mailbox.",
    }),
    chosen: sharingLevelSchema.nullable().meta({
      description: "Your own choice; null follows the organization's default.",
    }),
    organizationDefault: sharingLevelSchema,
    usersMayChange: z.boolean().meta({
      description:
        "False: the organization's administrators set every mailbox's level; PUT answers 403 sharing_locked.",
    }),
  })
  .meta({ id: "MySharing" });

export const mySharingUpdateSchema = z
  .strictObject({
    level: sharingLevelSchema.nullable().meta({ description: "Your level; null: follow the organization's default." }),
  })
  .meta({ id: "MySharingUpdate" });

/** Why a caller sees an engagement at its level. */
export const visibilitySchema = z
  .object({
    level: sharingLevelSchema,
    because: z.enum(["own_mailbox", "shared", "integration"]).meta({
      description:
        "own_mailbox: the engagement is in the caller's mailbox (everything); shared: the most generous level among the " +
        "mailboxes it was found in; integration: an application's token (the organization's integrationLevel).",
    }),
  })
  .meta({
    id: "EngagementVisibility",
    description:
      "What of this engagement the caller may see. Below everything, bodyPreview and bodyText are null and truncated is false; " +
      "at metadata, subject is null too.",
  });
