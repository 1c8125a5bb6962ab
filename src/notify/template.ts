/**
 * What a notification says: the payload every channel starts from (the webhook's JSON body, field for
 * field) and the message/title templates of nutguard.conf (`template = "{ups} is {status}"`).
 * Pure: no I/O, no clock.
 */
import type { NotifyType } from "../config/upsmon-notify-types.js";

/** One notification, as the webhook channel sends it (README, "Notifications"). */
export interface NotificationPayload {
  /** NUT's notify type name (ONBATT, ONLINE, LOWBATT, FSD, SHUTDOWN ...). */
  event: NotifyType;
  /** The UPS as written in MONITOR (`ups@host[:port]`), null for host-wide events (SHUTDOWN, NOPARENT ...). */
  ups: string | null;
  /** The text: the channel's template, by default NUT's NOTIFYMSG text. */
  message: string;
  /** `ups.status` as upsd sent it (`OB DISCHRG`), null when unknown. */
  status: string | null;
  /** battery.charge in percent, null when the UPS does not report it. */
  charge: number | null;
  /** battery.runtime in seconds, null when the UPS does not report it. */
  runtime: number | null;
  /** This host's name (the host that sends the notification). */
  host: string;
  /** When the monitor saw the event, ISO 8601 (UTC). */
  time: string;
}

/** The facts a notification is made from (the payload before the channel's template). */
export type NotificationFacts = Omit<NotificationPayload, "message"> & {
  /** NUT's NOTIFYMSG text for the event. */
  nutMessage: string;
};

export const TEMPLATE_FIELDS = [
  "event",
  "ups",
  "upsname",
  "message",
  "status",
  "charge",
  "runtime",
  "host",
  "time",
] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];

export type Template = readonly (string | { field: TemplateField })[];

/** `"{ups} on battery, {charge} %"` → parts. `{{` and `}}` are literal braces; an unknown `{name}` is an error. */
export function parseTemplate(text: string): Template {
  const parts: (string | { field: TemplateField })[] = [];
  let literal = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if ((c === "{" || c === "}") && text[i + 1] === c) {
      literal += c;
      i++;
      continue;
    }
    if (c === "}") throw new Error(`unmatched "}" at character ${i + 1} (write "}}" for a brace)`);
    if (c !== "{") {
      literal += c;
      continue;
    }
    const end = text.indexOf("}", i);
    if (end < 0) throw new Error(`unclosed "{" at character ${i + 1} (write "{{" for a brace)`);
    const name = text
      .slice(i + 1, end)
      .trim()
      .toLowerCase();
    if (!(TEMPLATE_FIELDS as readonly string[]).includes(name)) {
      throw new Error(`unknown field {${name}} (known: ${TEMPLATE_FIELDS.map((f) => `{${f}}`).join(" ")})`);
    }
    if (literal !== "") parts.push(literal);
    literal = "";
    parts.push({ field: name as TemplateField });
    i = end;
  }
  if (literal !== "") parts.push(literal);
  return parts;
}

/** What a field shows; unknown values show as "?". */
export function fieldText(facts: NotificationFacts, field: TemplateField): string {
  switch (field) {
    case "event":
      return facts.event;
    case "ups":
      return facts.ups ?? "";
    case "upsname":
      return facts.ups === null ? "" : facts.ups.replace(/@.*$/, "");
    case "message":
      return facts.nutMessage;
    case "status":
      return facts.status ?? "?";
    case "charge":
      return facts.charge === null ? "?" : String(facts.charge);
    case "runtime":
      return facts.runtime === null ? "?" : String(facts.runtime);
    case "host":
      return facts.host;
    case "time":
      return facts.time;
  }
}

export function renderTemplate(template: Template, facts: NotificationFacts): string {
  return template.map((p) => (typeof p === "string" ? p : fieldText(facts, p.field))).join("");
}

/**
 * The default text: NUT's message, then what is known of the UPS, then the host:
 * `UPS ups@nas on battery (status OB DISCHRG, charge 93 %, runtime 1260 s) on nas`.
 */
export function defaultText(facts: NotificationFacts): string {
  const details: string[] = [];
  if (facts.ups !== null) {
    if (facts.status !== null) details.push(`status ${facts.status}`);
    if (facts.charge !== null) details.push(`charge ${facts.charge} %`);
    if (facts.runtime !== null) details.push(`runtime ${facts.runtime} s`);
  }
  return `${facts.nutMessage}${details.length > 0 ? ` (${details.join(", ")})` : ""} on ${facts.host}`;
}

/** The default title: `nutguard on nas: ONBATT ups@nas`. */
export function defaultTitle(facts: NotificationFacts): string {
  return `nutguard on ${facts.host}: ${facts.event}${facts.ups === null ? "" : ` ${facts.ups}`}`;
}

/** The payload and title a channel sends, from its templates (or the defaults). */
export function renderNotification(
  facts: NotificationFacts,
  template: Template | undefined,
  title: Template | undefined,
): { payload: NotificationPayload; title: string } {
  const message = template === undefined ? defaultText(facts) : renderTemplate(template, facts);
  const { event, ups, status, charge, runtime, host, time } = facts;
  return {
    payload: { event, ups, message, status, charge, runtime, host, time },
    title: title === undefined ? defaultTitle(facts) : renderTemplate(title, facts),
  };
}
