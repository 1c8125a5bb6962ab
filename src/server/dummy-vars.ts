/**
 * dummy-ups's table of known variables (the `nut_data[]` table of drivers/dummy-ups.h, as facts):
 * which are STRING with which maximum length, which are NUMBER. Every name not listed is
 * accepted by dummy-ups as RW STRING with a maximum of 32. Data only. test/server/interop.nut.test.ts
 * compares GET TYPE of every name here with Debian's dummy-ups 2.8.0 behind a real upsd.
 */

/** STRING variables and their maximum length. */
const KNOWN_STRING_VARS: ReadonlyMap<string, number> = new Map([
  ["ups.mfr", 32],
  ["ups.model", 32],
  ["ups.status", 32],
  ["ups.serial", 32],
  ["ups.alarm", 32],
  ["ups.time", 16],
  ["ups.date", 16],
  ["ups.mfr.date", 16],
  ["ups.firmware", 16],
  ["ups.firmware.aux", 16],
  ["ups.id", 16],
  ["ups.test.result", 16],
  ["input.transfer.reason", 1],
  ["input.sensitivity", 1],
  ["input.quality", 6],
]);

/** NUMBER variables (RW, not length-checked). */
const KNOWN_NUMBER_VARS: ReadonlySet<string> = new Set([
  "ups.load",
  "ups.temperature",
  "ups.delay.start",
  "ups.delay.reboot",
  "ups.delay.shutdown",
  "ups.test.interval",
  "input.voltage",
  "input.voltage.maximum",
  "input.voltage.minimum",
  "input.voltage.nominal",
  "input.transfer.low",
  "input.transfer.high",
  "input.frequency",
  "input.transfer.boost.low",
  "input.transfer.boost.high",
  "input.transfer.trim.low",
  "input.transfer.trim.high",
  "output.voltage",
  "output.frequency",
  "output.current",
  "battery.charge",
  "battery.charge.low",
  "battery.voltage",
  "battery.current",
  "battery.runtime",
  "battery.runtime.low",
  "battery.charge.restart",
  "battery.temperature",
  "battery.voltage.nominal",
  "ambient.temperature",
  "ambient.temperature.alarm",
  "ambient.temperature.high",
  "ambient.temperature.low",
  "ambient.humidity",
  "ambient.humidity.alarm",
  "ambient.humidity.high",
  "ambient.humidity.low",
]);

const UNKNOWN_VAR_STRING_MAX = 32;

/** Maximum length for a variable dummy-ups creates from its data file (undefined: NUMBER). */
export function stringMaxFor(name: string): number | undefined {
  const lower = name.toLowerCase();
  if (KNOWN_NUMBER_VARS.has(lower)) return undefined;
  return KNOWN_STRING_VARS.get(lower) ?? UNKNOWN_VAR_STRING_MAX;
}
