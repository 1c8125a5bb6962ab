/**
 * Reading nutguard.conf's notification channels from disk: the file (a missing one means no channels),
 * the generic reader, the channel reader, then the secrets. Errors are ConfigErrors (file:line).
 */
import { parseNutguardConf } from "../config/nutguard-conf.js";
import { readOptionalConfigFile } from "../util/config-file-read.js";
import { channelsFromConf } from "./channel-config.js";
import { type ReadyChannel, resolveChannel, type SecretReader } from "./secrets.js";

/** The channels of the nutguard.conf at `path`; [] when the file does not exist. */
export function loadChannels(path: string, readSecret?: SecretReader): ReadyChannel[] {
  const text = readOptionalConfigFile(path);
  if (text === undefined) return [];
  return channelsFromConf(parseNutguardConf(text, path)).map((ch) => resolveChannel(ch, readSecret));
}
