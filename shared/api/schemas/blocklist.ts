/** The blocklist: addresses and domains never captured. */
import { z } from "zod";
import { dateTime, text } from "./common";

export const blockScopeSchema = z.enum(["organization", "personal"]);

export const blockEntryCreateSchema = z
  .strictObject({
    entry: text(320).min(1).meta({ description: "An address or @domain.", example: "@fabrikam.com" }),
    /** Personal by default: adding to the whole organization's list is the deliberate choice. */
    scope: blockScopeSchema.default("personal"),
  })
  .meta({ id: "BlockEntryInput" });

export const blockEntryViewSchema = z
  .object({ id: z.string(), entry: z.string(), scope: blockScopeSchema, createdAt: dateTime })
  .meta({ id: "BlockEntry" });
