/**
 * Errors as the pane says them: a plain sentence for a person, and a short code for support.
 * Raw texts (fetch's "Failed to fetch", MSAL's messages with their URLs, HTML error pages) never
 * reach the screen; the server's own JSON messages do, because they are written for people.
 */
import { ApiError } from "../api/client";
import { describeSignInError } from "../auth/errors";

export interface ErrorDescription {
  /** What happened, in a sentence. */
  text: string;
  /** Shown small as "Error code: …" for support; null when the sentence says it all. */
  code: string | null;
}

/** An error whose message was written for the person reading the pane. */
export class PaneError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "PaneError";
  }
}

/** The server refused the call to this user (403): retrying cannot help; the pane says why instead. */
export function isForbidden(e: unknown): boolean {
  return e instanceof ApiError && e.status === 403;
}

export const SERVER_UNREACHABLE = "Engagement Capture's server can't be reached. Check your connection and try again.";

export function describeError(e: unknown): ErrorDescription {
  if (e instanceof ApiError) {
    // A 4xx with the server's sentence is the user's own fix (a duplicate, a bad name): no code needed.
    const forSupport = e.status === 0 || e.status >= 500;
    return { text: e.message, code: forSupport ? e.code : null };
  }
  if (e instanceof PaneError) return { text: e.message, code: e.code };
  const signIn = describeSignInError(e);
  if (signIn) return signIn;
  if (e instanceof Error && e.name === "ChunkLoadError") {
    return {
      text: "Part of the pane couldn't be downloaded. Check your connection and try again.",
      code: "chunk_load_error",
    };
  }
  // fetch() rejects with a TypeError ("Failed to fetch", "NetworkError when attempting…", "Load failed").
  if (e instanceof TypeError && /fetch|network|load failed/i.test(e.message))
    return { text: SERVER_UNREACHABLE, code: "network_error" };
  return { text: "Something went wrong. Try again.", code: e instanceof Error ? e.name : null };
}
