/**
 * The emulator's throw-away CA and localhost certificate, made at start-up (same generator as the
 * backend's development certificate): the Graph SDK only sends tokens to https URLs and MSAL refuses
 * http authorities, so the emulator must speak TLS; clients trust `caPem`.
 */
import { generateTls as generate, type TlsMaterial } from "../server/http/tls";

export type { TlsMaterial };

export function generateTls(): Promise<TlsMaterial> {
  return generate("Engagement Capture M365 Emulator CA");
}
