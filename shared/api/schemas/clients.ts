/** Clients: the organization's customer accounts. */
import { z } from "zod";
import { dateTime, text } from "./common";

export const clientCreateSchema = z
  .strictObject({
    name: text(200).trim().min(1, { message: "The name must not be empty." }).meta({ example: "Contoso" }),
  })
  .meta({ id: "ClientInput" });
export const clientUpdateSchema = clientCreateSchema;

export const clientViewSchema = z
  .object({
    id: z.string(),
    name: z.string().meta({ example: "Contoso" }),
    createdAt: dateTime,
    contactCount: z
      .number()
      .int()
      .optional()
      .meta({ description: "Live contacts of this client (lists and creation only)." }),
  })
  .meta({ id: "Client" });
