/**
 * What Graph posts to the notification URLs, parsed defensively: the body comes from anyone on the
 * internet until its clientState is checked. Items that do not have the expected shape are dropped
 * one by one; a body that is not an object with a bounded `value` array is refused whole.
 */
import { z } from "zod";

/** Graph batches notifications; far fewer than this arrive in one POST. */
export const MAX_NOTIFICATIONS_PER_POST = 1000;
/** A thousand notifications of ~1 KB each, with room to spare. */
export const MAX_NOTIFICATION_BODY_BYTES = 2 * 1024 * 1024;

const id = z.string().min(1).max(512);

const changeSchema = z.object({
  subscriptionId: id,
  clientState: z.string().max(128).nullish(),
  changeType: z.enum(["created", "updated", "deleted"]),
  tenantId: z.string().max(64).optional(),
  resourceData: z.object({ id, "@odata.etag": z.string().max(256).optional() }),
});

const lifecycleSchema = z.object({
  subscriptionId: id,
  clientState: z.string().max(128).nullish(),
  tenantId: z.string().max(64).optional(),
  lifecycleEvent: z.enum(["reauthorizationRequired", "subscriptionRemoved", "missed"]),
});

export type ChangeNotification = z.infer<typeof changeSchema>;
export type LifecycleNotification = z.infer<typeof lifecycleSchema>;

const envelope = z.object({ value: z.array(z.unknown()).max(MAX_NOTIFICATIONS_PER_POST) });

export interface Parsed<T> {
  items: T[];
  /** Items that did not have the expected shape. */
  malformed: number;
}

function parseItems<T>(body: unknown, schema: z.ZodType<T>): Parsed<T> | null {
  const env = envelope.safeParse(body);
  if (!env.success) return null;
  const items: T[] = [];
  let malformed = 0;
  for (const raw of env.data.value) {
    const item = schema.safeParse(raw);
    if (item.success) items.push(item.data);
    else malformed++;
  }
  return { items, malformed };
}

export const parseChangeNotifications = (body: unknown) => parseItems(body, changeSchema);
export const parseLifecycleNotifications = (body: unknown) => parseItems(body, lifecycleSchema);
