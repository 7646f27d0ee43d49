/** Shape of /preview/messages.json: one definition in the shared API contract. */
import type { PreviewMessage } from "../../shared/api/contract";
export type { PreviewMessage };

/** Messages between the preview page and the pane's stand-in (same origin only). */
export type PreviewEvent = { type: "ec-preview:ready" } | { type: "ec-preview:select"; message: PreviewMessage | null };
