/**
 * NUT variables → Prometheus gauges: names follow HON95/prometheus-nut-exporter where they meet
 * Prometheus conventions (so its dashboards keep working), with base units and 0–1 ratios; apparent
 * power is in volt-amperes (`_voltamperes`), not watts as HON95 calls it. Data, and the lookup of an
 * info label.
 */
import type { UpsIdentity, UpsSnapshot } from "../monitor/events.js";

export interface VarMetric {
  /** The NUT variable. */
  variable: string;
  metric: string;
  help: string;
  /** Multiply the value by this (percent → ratio: 0.01). */
  scale?: number;
}

const pct = 0.01;

export const VAR_METRICS: readonly VarMetric[] = [
  { variable: "battery.charge", metric: "nut_battery_charge", help: "Battery charge (0-1).", scale: pct },
  {
    variable: "battery.charge.low",
    metric: "nut_battery_charge_low",
    help: "Charge below which the UPS reports low battery (0-1).",
    scale: pct,
  },
  {
    variable: "battery.charge.warning",
    metric: "nut_battery_charge_warning",
    help: "Charge below which the UPS warns (0-1).",
    scale: pct,
  },
  {
    variable: "battery.charge.restart",
    metric: "nut_battery_charge_restart",
    help: "Charge needed to restart the load after a shutdown (0-1).",
    scale: pct,
  },
  { variable: "battery.runtime", metric: "nut_battery_runtime_seconds", help: "Battery runtime left." },
  {
    variable: "battery.runtime.low",
    metric: "nut_battery_runtime_low_seconds",
    help: "Runtime below which the UPS reports low battery.",
  },
  {
    variable: "battery.runtime.restart",
    metric: "nut_battery_runtime_restart_seconds",
    help: "Runtime needed to restart the load after a shutdown.",
  },
  { variable: "battery.voltage", metric: "nut_battery_voltage_volts", help: "Battery voltage." },
  {
    variable: "battery.voltage.nominal",
    metric: "nut_battery_voltage_nominal_volts",
    help: "Nominal battery voltage.",
  },
  {
    variable: "battery.temperature",
    metric: "nut_battery_temperature_celsius",
    help: "Battery temperature.",
  },
  { variable: "ups.load", metric: "nut_load", help: "Load on the UPS (0-1).", scale: pct },
  { variable: "ups.temperature", metric: "nut_temperature_celsius", help: "UPS temperature." },
  { variable: "device.uptime", metric: "nut_uptime_seconds", help: "Device uptime." },
  { variable: "input.voltage", metric: "nut_input_voltage_volts", help: "Input voltage." },
  {
    variable: "input.voltage.nominal",
    metric: "nut_input_voltage_nominal_volts",
    help: "Nominal input voltage.",
  },
  {
    variable: "input.transfer.low",
    metric: "nut_input_transfer_low_volts",
    help: "Input voltage below which the UPS goes on battery.",
  },
  {
    variable: "input.transfer.high",
    metric: "nut_input_transfer_high_volts",
    help: "Input voltage above which the UPS goes on battery.",
  },
  { variable: "input.current", metric: "nut_input_current_amperes", help: "Input current." },
  { variable: "input.frequency", metric: "nut_input_frequency_hertz", help: "Input frequency." },
  {
    variable: "input.frequency.nominal",
    metric: "nut_input_frequency_nominal_hertz",
    help: "Nominal input frequency.",
  },
  { variable: "output.voltage", metric: "nut_output_voltage_volts", help: "Output voltage." },
  {
    variable: "output.voltage.nominal",
    metric: "nut_output_voltage_nominal_volts",
    help: "Nominal output voltage.",
  },
  { variable: "output.current", metric: "nut_output_current_amperes", help: "Output current." },
  {
    variable: "output.current.nominal",
    metric: "nut_output_current_nominal_amperes",
    help: "Nominal output current.",
  },
  { variable: "output.frequency", metric: "nut_output_frequency_hertz", help: "Output frequency." },
  {
    variable: "output.frequency.nominal",
    metric: "nut_output_frequency_nominal_hertz",
    help: "Nominal output frequency.",
  },
  { variable: "ups.power", metric: "nut_power_voltamperes", help: "Apparent power drawn (VA)." },
  {
    variable: "ups.power.nominal",
    metric: "nut_power_nominal_voltamperes",
    help: "Nominal apparent power (VA).",
  },
  { variable: "ups.realpower", metric: "nut_real_power_watts", help: "Real power drawn." },
  {
    variable: "ups.realpower.nominal",
    metric: "nut_real_power_nominal_watts",
    help: "Nominal real power.",
  },
  {
    variable: "ups.delay.shutdown",
    metric: "nut_delay_shutdown_seconds",
    help: "Delay before the UPS turns its load off after a shutdown command.",
  },
  {
    variable: "ups.delay.start",
    metric: "nut_delay_start_seconds",
    help: "Delay before the UPS turns its load back on.",
  },
];

/**
 * A `nut_ups_info` label's value: the first of its variables the last poll read, else the identity the
 * monitor read once per connection (it polls device.mfr & co. only on a connection's first poll).
 */
export function infoValue(u: UpsSnapshot, label: string, vars: readonly string[]): string | undefined {
  for (const n of vars) {
    const v = u.readings.vars[n];
    if (v !== undefined) return v;
  }
  const key = IDENTITY_KEYS[label];
  return key === undefined ? undefined : u.identity?.[key];
}

const IDENTITY_KEYS: Record<string, keyof UpsIdentity | undefined> = {
  manufacturer: "manufacturer",
  model: "model",
  serial: "serial",
  driver: "driver",
};

/** `nut_ups_info` labels: label → the variables to take it from, first present wins. */
export const INFO_LABELS: readonly (readonly [string, readonly string[]])[] = [
  ["description", ["device.description", "ups.description"]],
  ["location", ["device.location"]],
  ["manufacturer", ["device.mfr", "ups.mfr"]],
  ["model", ["device.model", "ups.model"]],
  ["serial", ["device.serial", "ups.serial"]],
  ["type", ["device.type"]],
  ["firmware", ["ups.firmware"]],
  ["battery_type", ["battery.type"]],
  ["driver", ["driver.name"]],
  ["driver_version", ["driver.version"]],
];
