/**
 * Why sending failed: a code, a message and details the client can act on; for retryable ones, how
 * long to wait (Graph's Retry-After when it gave one). The API's error table answers them.
 */
import { DomainError } from "../domain-error";

export class MailError extends DomainError {
  override readonly name = "MailError";
}
