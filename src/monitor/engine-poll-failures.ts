/**
 * upsmon's "Poll UPS [x] failed" log lines with POLLFAIL_LOG_THROTTLE_MAX throttling, and the
 * "recovered" line that ends a failure state. The only code that changes a UPS's pollFailCode and
 * pollFailCount. Pure: appends to `out`.
 */
import type { EngineOutput } from "./engine-types.js";
import type { UpsRuleSettings, UpsState } from "./engine-ups.js";

export function logPollFailure(
  ups: UpsState,
  failure: { code: string; message: string },
  settings: UpsRuleSettings,
  out: EngineOutput,
): void {
  const line = `Poll UPS [${ups.system}] failed - ${failure.message}`;
  const max = settings.pollFailLogThrottleMax;
  if (max < 0) {
    out.logs.push({ level: "err", message: line });
    return;
  }
  let log: boolean;
  if (ups.pollFailCode === failure.code) {
    log = max > 0 && ups.pollFailCount++ >= max - 1;
    if (log) ups.pollFailCount = 0;
  } else {
    out.logs.push({
      level: "err",
      message:
        max === 0
          ? `Poll UPS [${ups.system}] failure state changed from ${ups.pollFailCode ?? "OK"} to ${failure.code}; report below will not be repeated to syslog:`
          : `Poll UPS [${ups.system}] failure state changed from ${ups.pollFailCode ?? "OK"} to ${failure.code}; report below will only be repeated to syslog every ${max} polling loop cycles (${max * settings.pollFreqSec} sec):`,
    });
    ups.pollFailCode = failure.code;
    ups.pollFailCount = 0;
    log = true;
  }
  out.logs.push(log ? { level: "err", message: line } : { level: "debug", message: line, debugLevel: 1 });
}

/** After a successful poll: end a throttled failure state with upsmon's "recovered" line. */
export function noteRecovered(ups: UpsState, settings: UpsRuleSettings, out: EngineOutput): void {
  if (settings.pollFailLogThrottleMax >= 0 && ups.pollFailCode !== undefined) {
    out.logs.push({
      level: "err",
      message: `Poll UPS [${ups.system}] recovered from failure state ${ups.pollFailCode} - now OK`,
    });
  }
  ups.pollFailCode = undefined;
  ups.pollFailCount = -1;
}
