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
import type { z } from "zod";
import { MAX_RECIPIENTS, type sendMailSchema } from "../../shared/api/schemas/mail";
import { normalizeAddress } from "../../shared/capture";
import { MailError } from "./errors";

export {
  IDEMPOTENCY_KEY,
  MAX_MAIL_REQUEST_BYTES,
  MAX_RECIPIENTS,
  MAX_SUBJECT,
  sendMailSchema,
} from "../../shared/api/schemas/mail";

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
    "p",
    "br",
    "div",
    "span",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "s",
    "strike",
    "sub",
    "sup",
    "small",
    "blockquote",
    "pre",
    "code",
    "hr",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "a",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "caption",
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
    throw new MailError(
      "too_many_recipients",
      `At most ${MAX_RECIPIENTS} recipients (to and cc together); this request has ${count}.`,
      {
        max: MAX_RECIPIENTS,
        count,
      },
    );
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
    throw new MailError(
      "invalid_address",
      `${invalid.length === 1 ? "This address is" : "These addresses are"} not valid: ${invalid.join(", ")}.`,
      { invalid },
    );
  }
  let content = req.body.content;
  let sanitized = false;
  if (req.body.contentType === "html") {
    content = sanitizeMailHtml(req.body.content);
    sanitized = content !== req.body.content;
  }
  return {
    to,
    cc,
    subject: req.subject,
    body: { contentType: req.body.contentType, content },
    sanitized,
    replyTo: req.replyTo ?? null,
  };
}

/** SHA-256 of the request as validated (fixed key order): what "the same body" means for an idempotency key. */
export function requestHash(req: SendMailRequest): string {
  const canonical = JSON.stringify([
    req.to,
    req.cc,
    req.subject,
    req.body.contentType,
    req.body.content,
    req.replyTo ?? null,
  ]);
  return createHash("sha256").update(canonical, "utf8").digest("hex");
}

/**
 * The marker that lets us find a message sent with /me/sendMail (which answers 202 with no id) in Sent
 * Items: a custom named extended property in our own property set, the way Microsoft recommends for
 * exactly this (microsoftgraph/microsoft-graph-docs#3766). It stays on the sender's items only — a
 * named MAPI property outside PS_INTERNET_HEADERS is not written into the outgoing MIME — so
 * recipients see nothing. (A custom `X-` internet header would travel to recipients and is not
 * returned on the Sent Items copy: internetMessageHeaders exist only on received items,
 * microsoftgraph/microsoft-graph-docs#2716.) Never change the GUID or the name: keys in flight are
 * looked up by it.
 */
export const MARKER_PROPERTY_ID = "String {6f1c3e2a-9b47-4d1e-8a55-2c0f7b9d4e31} Name EngagementCaptureId";

/** OData string literal. */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** `$filter` that finds the message carrying this marker (Graph's documented lambda on extended properties). */
export function markerFilter(marker: string): string {
  return `singleValueExtendedProperties/Any(ep: ep/id eq ${odataString(MARKER_PROPERTY_ID)} and ep/value eq ${odataString(marker)})`;
}

/** Graph's message JSON: subject (optional for replies), body, recipients. */
export function graphMessage(m: ComposedMail, opts: { includeSubject: boolean }): Record<string, unknown> {
  const recipients = (list: string[]) => list.map((address) => ({ emailAddress: { address } }));
  return {
    ...(opts.includeSubject ? { subject: m.subject } : {}),
    body: { contentType: m.body.contentType === "html" ? "HTML" : "Text", content: m.body.content },
    toRecipients: recipients(m.to),
    ccRecipients: recipients(m.cc),
  };
}

/** POST /me/sendMail's body: the message with its marker, saved to Sent Items (where the sweep finds it too). */
export function sendMailBody(m: ComposedMail, marker: string): Record<string, unknown> {
  return {
    message: {
      ...graphMessage(m, { includeSubject: true }),
      singleValueExtendedProperties: [{ id: MARKER_PROPERTY_ID, value: marker }],
    },
    saveToSentItems: true,
  };
}

/**
 * POST /me/messages/{id}/reply's body. Graph builds the threading (same conversation, In-Reply-To,
 * References, "RE:" subject unless one is given); we set the recipients and the body (not `comment`:
 * Graph refuses both at once). No marker: whether Exchange keeps an extended property given to /reply
 * is not documented, so a reply is found by its conversation, time and recipients instead.
 */
export function replyBody(m: ComposedMail): Record<string, unknown> {
  return { message: graphMessage(m, { includeSubject: m.subject.trim() !== "" }) };
}
