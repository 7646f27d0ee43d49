/**
 * POST /api/mail — send mail as the caller (issue 11); the sent message is captured at once.
 * Idempotency-Key (optional, recommended): the same key with the same body answers the first
 * response again (200, Idempotency-Replayed: true) without sending; see server/mail/send.ts for
 * what is guaranteed.
 */
import { Hono } from "hono";
import { IDEMPOTENCY_KEY, sendMailSchema } from "../../mail/compose";
import type { AppEnv } from "../context";
import type { AppDeps } from "../deps";
import { ApiError } from "../errors";
import { jsonBody } from "../request";

export function mailRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const mail = deps.mail;
  if (!mail) return app; // app.ts answers 503 not_available
  // The 1 MB body limit is applied in app.ts with the others (before authentication reads anything).
  app.post("/mail", async (c) => {
    const key = c.req.header("idempotency-key") ?? null;
    if (key !== null && !IDEMPOTENCY_KEY.test(key)) {
      throw new ApiError(400, "invalid_idempotency_key", "Idempotency-Key must be 1 to 200 visible ASCII characters.");
    }
    const request = await jsonBody(c, sendMailSchema);
    // A refusal (MailError and the other domain errors) is answered by the central error handler.
    const out = await mail.send({ organizationId: c.get("orgId"), userId: c.get("userId"), request, idempotencyKey: key });
    if (out.replayed) c.header("Idempotency-Replayed", "true");
    return c.json(out.body, out.status);
  });
  return app;
}
