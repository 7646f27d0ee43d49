/**
 * Signing in to the pane. Every call of the API client reports "sign in again" (no silent token, or
 * a 401 from any call), so the pane goes back to Sign in instead of showing a Retry that cannot work.
 * Sign in is one action that is never disabled: MSAL cannot tell when its window was closed
 * (auth/msal.ts), so pressing it again supersedes the attempt still waiting.
 */
import { useCallback, useMemo, useRef, useState } from "react";
import { watchSignIn, type ApiClient } from "../api/client";
import type { ManageClient } from "../api/manage";
import { isSupersededSignIn } from "../auth/errors";
import { useAnnounce } from "./announcer";
import { describeError } from "./errors";
import type { PaneServices } from "./services";

/** A double click would open two sign-in windows (the button stays enabled while one is open). */
const DOUBLE_CLICK_MS = 1000;

export interface SignInFlow {
  /** The services with the API client that reports "sign in again". */
  services: PaneServices;
  /** A call answered "sign in again" since the last sign-in. */
  signedOut: boolean;
  /** A sign-in window is (or may still be) open. */
  pending: boolean;
  /** Why the last attempt didn't finish (null when it was superseded by a newer one). */
  error: unknown;
  start(): Promise<void>;
  /** True once after a sign-in: the status heading should take focus when it is shown. */
  takeFocusRequest(): boolean;
}

/** `onSignedIn` runs after a successful sign-in, so what needed it is read again. */
export function useSignIn(services: PaneServices, onSignedIn: () => void): SignInFlow {
  const announce = useAnnounce();
  const [signedOut, setSignedOut] = useState(false);
  const watched = useMemo<PaneServices>(() => {
    const signedOutNow = () => setSignedOut(true);
    // watchSignIn wraps every method of any client; it is typed for ApiClient only.
    const manage = watchSignIn(services.manage as unknown as ApiClient, signedOutNow) as unknown as ManageClient;
    return { ...services, api: watchSignIn(services.api, signedOutNow), manage };
  }, [services]);
  const [state, setState] = useState<{ pending: boolean; error: unknown }>({ pending: false, error: null });
  const attempt = useRef({ n: 0, startedAt: 0 });
  // After Sign in the button is gone: the message's status heading takes focus once it is there.
  const focusStatusNext = useRef(false);
  const takeFocusRequest = useCallback(() => {
    const asked = focusStatusNext.current;
    focusStatusNext.current = false;
    return asked;
  }, []);

  const start = async () => {
    if (Date.now() - attempt.current.startedAt < DOUBLE_CLICK_MS) return;
    const n = ++attempt.current.n;
    attempt.current.startedAt = Date.now();
    setState({ pending: true, error: null });
    try {
      await watched.auth.signIn();
    } catch (e) {
      // Only the latest attempt speaks; an older one ends "cancelled" when Sign in was pressed again.
      if (n !== attempt.current.n) return;
      const superseded = isSupersededSignIn(e);
      setState({ pending: false, error: superseded ? null : e });
      if (!superseded) announce(`Sign-in didn't finish. ${describeError(e).text}`);
      return;
    }
    attempt.current.n++; // any older attempt still waiting is moot now
    setState({ pending: false, error: null });
    setSignedOut(false);
    focusStatusNext.current = true;
    announce("Signed in.");
    onSignedIn();
  };

  return { services: watched, signedOut, pending: state.pending, error: state.error, start, takeFocusRequest };
}
