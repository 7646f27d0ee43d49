/**
 * What a POST /api/mail request may contain, and the message built from it (pure, no I/O).
 * - The body schema is strict (unknown fields → 400, like every other route).
 * - Addresses are checked with the capture rules' own normaliser, so a recipient we accept is one the
 *   rules can match to a contact; bad ones are listed in a 422.
 * - HTML is sanitised with an allow-list (basic formatting, links with http/https/mailto only): no
 *   scripts, styles, event handlers, images, forms or frames, because the body is sent from the user's
 *   own mailbox and we do not let an integrator put active content there.
 */
import { createHash } from "node:crypto";
import sanitizeHtml from "sanitize-html";
import { z } from "zod";
import { normalizeAddress } from "../../shared/capture";
import { MailError } from "./errors";

/** To + Cc together. Bcc is not offered: it would never count for capture and hides who was told. */
export const MAX_RECIPIENTS = 50;
export const MAX_SUBJECT = 255;
/** The whole JSON request; Graph itself accepts up to 4 MB per request. */
export const MAX_MAIL_REQUEST_BYTES = 1024 * 1024;
/** Idempotency-Key header: 1..200 visible ASCII characters. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

const address = z.string().max(500);

export const sendMailSchema = z.strictObject({
  // Deliberately loose counts here: too many recipients is a 422 with its own code, not a schema 400.
  to: z.array(address).min(1, { message: "At least one recipient is needed in to." }).max(1000),
  cc: z.array(address).max(1000).default([]),
  subject: z.string().max(MAX_SUBJECT),
  body: z.strictObject({
    contentType: z.enum(["text", "html"]),
    content: z.string(),
  }),
  /** Engagement id: send as a reply to that message, in the same conversation. */
  replyTo: z.string().min(1).max(100).optional(),
});
export type SendMailRequest = z.infer<typeof sendMailSchema>;

export interface ComposedMail {
  /** Normalised, without duplicates (an address in both to and cc stays in to). */
  to: string[];
  cc: string[];
  subject: string;
  body: { contentType: "text" | "html"; content: string };
  /** True when sanitising changed the HTML (something unsafe or not allowed was removed). */
  sanitized: boolean;
  replyTo: string | null;
}

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: [
    "p", "br", "div", "span", "b", "strong", "i", "em", "u", "s", "strike", "sub", "sup", "small",
    "blockquote", "pre", "code", "hr", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "a", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
  ],
  allowedAttributes: { a: ["href", "title"], td: ["colspan", "rowspan"], th: ["colspan", "rowspan"], ol: ["start"] },
  allowedSchemes: ["http", "https", "mailto"],
  allowedSchemesAppliedToAttributes: ["href"],
  allowProtocolRelative: false,
  // script/style/textarea contents are dropped with the tag (sanitize-html's nonTextTags default).
  disallowedTagsMode: "discard",
};

/** The HTML with everything outside the allow-list removed. */
export function sanitizeMailHtml(html: string): string {
  return sanitizeHtml(html, SANITIZE);
}

/**
 * Validate recipients and build the message. Throws MailError 422 `invalid_address` (details.invalid
 * lists the rejected entries as given) or `too_many_recipients`.
 */
export function composeMail(req: SendMailRequest): ComposedMail {
  const count = req.to.length + req.cc.length;
  if (count > MAX_RECIPIENTS) {
    throw new MailError(422, "too_many_recipients", `At most ${MAX_RECIPIENTS} recipients (to and cc together); this request has ${count}.`, {
      max: MAX_RECIPIENTS,
      count,
    });
  }
  const invalid: string[] = [];
  const seen = new Set<string>();
  const pick = (list: readonly string[]) => {
    const out: string[] = [];
    for (const raw of list) {
      const a = normalizeAddress(raw);
      if (!a) invalid.push(raw);
      else if (!seen.has(a)) {
        seen.add(a);
        out.push(a);
      }
    }
    return out;
  };
  const to = pick(req.to);
  const cc = pick(req.cc);
  if (invalid.length) {
    throw new MailError(422, "invalid_address", `${invalid.length === 1 ? "This address is" : "These addresses are"} not valid: ${invalid.join(", ")}.`, { invalid });
  }
  let content = req.body.content;
  let sanitized = false;
  if (req.body.contentType === "html") {
    content = sanitizeMailHtml(req.body.content);
    sanitized = content !== req.body.content;
  }
  return { to, cc, subject: req.subject, body: { contentType: req.body.contentType, content }, sanitized, replyTo: req.replyTo ?? null };
}

/** SHA-256 of the request as validated (fixed key order): what "the same body" means for an idempotency key. */
export function requestHash(req: SendMailRequest): string {
  const canonical = JSON.stringify([req.to, req.cc, req.subject, req.body.contentType, req.body.content, req.replyTo ?? null]);
  return createHash("sha256").update(canonical, "utf8").digest("hex");
}

/** Graph's message JSON for the draft (createReply takes the same shape under `message`). */
export function graphMessage(m: ComposedMail, opts: { includeSubject: boolean }): Record<string, unknown> {
  const recipients = (list: string[]) => list.map((address) => ({ emailAddress: { address } }));
  return {
    ...(opts.includeSubject ? { subject: m.subject } : {}),
    body: { contentType: m.body.contentType === "html" ? "HTML" : "Text", content: m.body.content },
    toRecipients: recipients(m.to),
    ccRecipients: recipients(m.cc),
  };
}
