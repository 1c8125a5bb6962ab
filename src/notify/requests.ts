/**
 * The exact requests each channel type sends (beyond.md §5), built from a rendered notification.
 * Pure: no sockets, no processes.
 * - webhook: POST url, JSON `NotificationPayload`, optional `Authorization: Bearer <token>`.
 * - ntfy: POST <server>/<topic>, the message as the body; `Title`, `Priority` (1–5), `Tags`;
 *   optional `Authorization: Bearer <token>`.
 * - Slack incoming webhook: POST JSON `{"text": ...}` (&, <, > escaped as Slack asks).
 * - Discord webhook: POST JSON `{"content": ...}` (at most 2000 characters).
 * - apprise: `apprise --title=T --body=B --notification-type=N -- URL...` (argv, never a shell).
 */
import type { NotifyType } from "../config/upsmon-notify-types.js";
import { NUTGUARD_VERSION } from "../util/version.js";
import type { NtfyPriority } from "./channel-config.js";
import type { ReadyChannel } from "./secrets.js";
import type { NotificationPayload } from "./template.js";

export interface RenderedNotification {
  payload: NotificationPayload;
  title: string;
}

export interface HttpRequestSpec {
  url: string;
  headers: Record<string, string>;
  body: string;
}

const USER_AGENT = `nutguard/${NUTGUARD_VERSION}`;
const DISCORD_MAX = 2000;

/** How loud each event is on ntfy when the channel sets no `priority`. */
export function ntfyPriorityFor(event: NotifyType): NtfyPriority {
  switch (event) {
    case "FSD":
    case "SHUTDOWN":
    case "LOWBATT":
    case "NOPARENT":
      return 5;
    case "ONBATT":
    case "COMMBAD":
    case "NOCOMM":
    case "SHUTDOWN_HOSTSYNC":
    case "OVER":
    case "ALARM":
      return 4;
    default:
      return 3;
  }
}

/** ntfy `Tags` (emoji short codes ntfy shows, then the event name). */
export function ntfyTagsFor(event: NotifyType): string {
  const emoji =
    event === "ONLINE" || event === "COMMOK"
      ? "white_check_mark"
      : event === "ONBATT"
        ? "battery"
        : event === "LOWBATT" || event === "FSD" || event === "SHUTDOWN"
          ? "rotating_light"
          : "warning";
  return `${emoji},${event.toLowerCase()}`;
}

/** A header value outside printable ASCII as RFC 2047 (`=?UTF-8?B?...?=`), which ntfy decodes. */
export function headerText(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text, "utf8").toString("base64")}?=`;
}

function slackEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const json = (extra: Record<string, string> = {}) => ({
  "Content-Type": "application/json",
  "User-Agent": USER_AGENT,
  ...extra,
});

/** The HTTP request of an HTTP channel (webhook, ntfy, slack, discord). */
export function httpRequestFor(
  ch: Extract<ReadyChannel, { type: "webhook" | "ntfy" | "slack" | "discord" }>,
  n: RenderedNotification,
): HttpRequestSpec {
  const text = n.payload.message;
  switch (ch.type) {
    case "webhook":
      return {
        url: ch.url,
        headers: json(ch.token === undefined ? {} : { Authorization: `Bearer ${ch.token}` }),
        body: JSON.stringify(n.payload),
      };
    case "slack":
      return { url: ch.url, headers: json(), body: JSON.stringify({ text: slackEscape(text) }) };
    case "discord": {
      const content = text.length > DISCORD_MAX ? `${text.slice(0, DISCORD_MAX - 1)}…` : text;
      return { url: ch.url, headers: json(), body: JSON.stringify({ content }) };
    }
    case "ntfy": {
      const headers: Record<string, string> = {
        "Content-Type": "text/plain; charset=utf-8",
        "User-Agent": USER_AGENT,
        Title: headerText(n.title),
        Priority: String(ch.priority ?? ntfyPriorityFor(n.payload.event)),
        Tags: ntfyTagsFor(n.payload.event),
      };
      if (ch.token !== undefined) headers.Authorization = `Bearer ${ch.token}`;
      return { url: `${ch.server}/${encodeURIComponent(ch.topic)}`, headers, body: text };
    }
  }
}

/** apprise's message type for an event (`-n`): success, warning, failure or info. */
export function appriseTypeFor(event: NotifyType): "info" | "success" | "warning" | "failure" {
  if (event === "ONLINE" || event === "COMMOK") return "success";
  const p = ntfyPriorityFor(event);
  return p === 5 ? "failure" : p === 4 ? "warning" : "info";
}

/** apprise's argv (without the command): `--title=T --body=B --notification-type=N -- URL...`. */
export function appriseArgs(urls: readonly string[], n: RenderedNotification): string[] {
  return [
    `--title=${n.title}`,
    `--body=${n.payload.message}`,
    `--notification-type=${appriseTypeFor(n.payload.event)}`,
    "--",
    ...urls,
  ];
}
