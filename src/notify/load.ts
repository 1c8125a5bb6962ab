/**
 * Reading nutguard.conf's notification channels from disk: the file (a missing one means no channels),
 * the generic reader, the channel reader, then the secrets. Errors are ConfigErrors (file:line).
 */
import { readFileSync } from "node:fs";
import { parseNutguardConf } from "../config/nutguard-conf.js";
import { channelsFromConf } from "./channel-config.js";
import { type ReadyChannel, resolveChannel, type SecretReader } from "./secrets.js";

/** The channels of the nutguard.conf at `path`; [] when the file does not exist. */
export function loadChannels(path: string, readSecret?: SecretReader): ReadyChannel[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new Error(`Can't open ${path}: ${(err as Error).message}`);
  }
  return channelsFromConf(parseNutguardConf(text, path)).map((ch) => resolveChannel(ch, readSecret));
}
