/**
 * Reading nutguard.conf's notification channels from disk: the file (a missing one means no channels),
 * the generic reader, the channel reader, then the secrets. Errors are ConfigErrors (file:line).
 */
import { loadNutguardConf } from "../config/nutguard-conf-file.js";
import { channelsFromConf } from "./channel-config.js";
import { type ReadyChannel, resolveChannel, type SecretReader } from "./secrets.js";

/** The channels of the nutguard.conf at `path`; [] when the file does not exist. */
export function loadChannels(path: string, readSecret?: SecretReader): ReadyChannel[] {
  return channelsFromConf(loadNutguardConf(path)).map((ch) => resolveChannel(ch, readSecret));
}
