/**
 * `ups.status` words: the ones RFC 9271 (section 5.1) defines plus those NUT added since (ALARM, ECO,
 * TEST), and how the status page says them in words ("On battery, low battery").
 * Pure data and functions.
 */

/** Every word the metrics state set always carries, in this order; any other reported word is added. */
export const KNOWN_STATUS_WORDS = [
  "OL",
  "OB",
  "LB",
  "HB",
  "RB",
  "CHRG",
  "DISCHRG",
  "BYPASS",
  "CAL",
  "OFF",
  "OVER",
  "TRIM",
  "BOOST",
  "FSD",
  "ALARM",
  "ECO",
  "TEST",
] as const;

const WORDS: Record<string, string> = {
  OL: "on line power",
  OB: "on battery",
  LB: "low battery",
  HB: "high battery",
  RB: "replace battery",
  CHRG: "charging",
  DISCHRG: "discharging",
  BYPASS: "on bypass",
  CAL: "calibrating",
  OFF: "off",
  OVER: "overloaded",
  TRIM: "trimming voltage",
  BOOST: "boosting voltage",
  FSD: "forced shutdown",
  ALARM: "alarm",
  ECO: "ECO mode",
  TEST: "testing",
};

/** Split `ups.status` into its words (NUT separates them with spaces). */
export function statusWords(status: string | undefined): string[] {
  return (status ?? "").split(/\s+/).filter((w) => w !== "");
}

/** "OB LB DISCHRG" → "On battery, low battery, discharging"; unknown words are kept as written. */
export function describeStatus(words: readonly string[]): string {
  if (words.length === 0) return "Unknown (no status read yet)";
  const text = words.map((w) => WORDS[w.toUpperCase()] ?? w).join(", ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}
