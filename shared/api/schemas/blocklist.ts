/** The blocklist: addresses and domains never captured. */
import { z } from "zod";
import { dateTime, text } from "./common";

export const blockScopeSchema = z.enum(["organization", "personal"]);

export const blockEntryCreateSchema = z
  .strictObject({
    entry: text(320).min(1).meta({ description: "An address or @domain.", example: "@fabrikam.com" }),
    /** Personal by default: adding to the whole organization's list is the deliberate choice. */
    scope: blockScopeSchema.default("personal"),
    removeCaptured: z
      .boolean()
      .default(false)
      .meta({
        description:
          "Also delete engagements already captured that involve the entry (GET /api/blocklist/preview says how many first). " +
          "Personal entry: only engagements found in the caller's mailbox and in no other; organization entry: every one in the organization.",
      }),
  })
  .meta({ id: "BlockEntryInput" });

export const blockEntryViewSchema = z
  .object({ id: z.string(), entry: z.string(), scope: blockScopeSchema, createdAt: dateTime })
  .meta({ id: "BlockEntry" });

/** POST /api/blocklist (201): the entry, and how many captured engagements were deleted with it. */
export const blockEntryCreatedSchema = blockEntryViewSchema
  .extend({ removedEngagements: z.number().int().meta({ description: "0 unless removeCaptured was true." }) })
  .meta({ id: "BlockEntryCreated" });

export const blockPreviewQuery = z.strictObject({
  entry: text(320)
    .min(1)
    .meta({ description: "An address or @domain, as it would be added.", example: "@fabrikam.com" }),
  scope: blockScopeSchema.default("personal"),
});

/** What removing captured engagements would delete (blocklist entry or untracked contact). */
export const removalPreviewSchema = z
  .object({
    engagements: z.number().int().meta({ description: "Engagements that would be deleted." }),
    keptShared: z
      .number()
      .int()
      .meta({ description: "Matching engagements that stay because they were also found in someone else's mailbox." }),
    keptOtherContact: z
      .number()
      .int()
      .meta({ description: "Engagements that stay because another tracked contact is on them too (untracking only)." }),
    reach: z.enum(["organization", "mailbox"]).meta({
      description:
        "organization: every mailbox's engagements; mailbox: only those found in the caller's mailbox alone.",
    }),
  })
  .meta({ id: "RemovalPreview" });
