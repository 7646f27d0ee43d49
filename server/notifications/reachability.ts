/**
 * Whether Microsoft 365 can deliver notifications to PUBLIC_URL. Graph posts from the internet, so a
 * loopback, private or link-local host (a laptop deployment) never receives any; the product then runs
 * on sweeps alone. Demo mode is the exception: the emulator runs beside the server and reaches it.
 */
import net from "node:net";
import type { Config } from "../config";
import { DEFAULT_NOTIFICATIONS } from "../config";
import { isPublicAddress } from "../http/public-address";

export interface NotificationsDecision {
  enabled: boolean;
  /** One sentence for the start-up log and operators. */
  reason: string;
}

/** A host name Microsoft 365 cannot reach: localhost, a reserved or single-label name, or a private address. */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  // Reserved names (RFC 2606, 6761, 6762) resolve nowhere on the internet.
  if (host === "localhost" || /\.(localhost|local|internal|test|example|invalid|home\.arpa)$/.test(host)) return true;
  // An address: the same ranges an outbound webhook may not reach are the ones Graph cannot post to.
  if (net.isIP(host)) return !isPublicAddress(host);
  return !host.includes(".");
}

export function decideNotifications(
  config: Pick<Config, "mode" | "publicUrl" | "notifications">,
): NotificationsDecision {
  const setting = (config.notifications ?? DEFAULT_NOTIFICATIONS).setting;
  if (setting === "off") return { enabled: false, reason: "NOTIFICATIONS=off: mail is captured by the sweeps alone" };
  if (setting === "on") return { enabled: true, reason: "NOTIFICATIONS=on" };
  if (config.mode === "demo")
    return { enabled: true, reason: "demo mode: the emulator delivers notifications locally" };
  const host = new URL(config.publicUrl).hostname;
  if (isPrivateHost(host))
    return {
      enabled: false,
      reason: `PUBLIC_URL (${host}) is not reachable from Microsoft 365: mail is captured by the sweeps alone (set a public HTTPS PUBLIC_URL, or NOTIFICATIONS=on behind a tunnel)`,
    };
  return { enabled: true, reason: `notifications are delivered to ${config.publicUrl}/api/notifications` };
}
