/**
 * Delivery outcomes and the retry policy of notification channels. Pure.
 * - Transient failures (network errors, timeouts, HTTP 5xx/408/429, SMTP 4xx) are retried with
 *   exponential backoff (1 s, 2 s, 4 s ... at most 60 s) for a bounded lifetime (10 minutes after
 *   the notification was queued); permanent ones (other HTTP 4xx, SMTP 5xx, refused credentials)
 *   are not retried.
 */

export type SendResult = { ok: true } | { ok: false; transient: boolean; reason: string };

export const RETRY_FIRST_MS = 1000;
export const RETRY_MAX_MS = 60_000;
/** A notification not delivered this long after it was queued is given up. */
export const DELIVERY_LIFETIME_MS = 600_000;

/** The wait before try `failures + 1`, after `failures` failed tries (≥ 1). */
export function retryDelayMs(failures: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.max(0, failures - 1));
}

/**
 * When to try again after `failures` failed tries, or undefined to give up: the next try must start
 * within the lifetime that began at `queuedMs`.
 */
export function nextTryMs(
  queuedMs: number,
  failedAtMs: number,
  failures: number,
  lifetimeMs = DELIVERY_LIFETIME_MS,
): number | undefined {
  const at = failedAtMs + retryDelayMs(failures);
  return at - queuedMs <= lifetimeMs ? at : undefined;
}

/** An HTTP response status as a delivery outcome. */
export function httpOutcome(status: number, statusText: string): SendResult {
  if (status >= 200 && status < 300) return { ok: true };
  const reason = `HTTP ${status}${statusText ? ` ${statusText}` : ""}`;
  if (status >= 300 && status < 400)
    return { ok: false, transient: false, reason: `${reason} (redirects are not followed)` };
  const transient = status >= 500 || status === 408 || status === 429;
  return { ok: false, transient, reason };
}

/** An SMTP reply code (nodemailer's `responseCode`) as a delivery outcome; undefined = no reply (network). */
export function smtpOutcome(responseCode: number | undefined, reason: string): SendResult {
  if (responseCode === undefined) return { ok: false, transient: true, reason };
  return { ok: false, transient: responseCode >= 400 && responseCode < 500, reason };
}
