/**
 * What `upsc` prints for each mode, as pure functions of the data upsd returned: the plain-text
 * forms of NUT's upsc (values unescaped, server order) and the JSON forms of NUT 2.8.5+ (`-j`).
 * No I/O, no protocol: the CLI fetches, these format.
 */
import { jsonArray, jsonError, jsonErrorInObject, jsonObject, jsonString } from "./json-output.js";

export interface UpsListEntry {
  name: string;
  description: string;
}

/** What upsc was asked for; decides the output shape and the shape of JSON errors. */
export type UpscQuery =
  | { kind: "list-vars"; upsname: string }
  | { kind: "get-var"; upsname: string; varname: string }
  | { kind: "list-ups"; withDescriptions: boolean }
  | { kind: "list-clients"; upsname: string };

/** `upsc <ups>`: `name: value` per variable; `-j`: one JSON object. */
export function formatVariables(vars: ReadonlyArray<readonly [string, string]>, json: boolean): string {
  if (json) return jsonObject(vars);
  return vars.map(([name, value]) => `${name}: ${value}\n`).join("");
}

/** `upsc <ups> <var>`: the value alone; `-j`: a JSON string. */
export function formatValue(value: string, json: boolean): string {
  return json ? jsonString(value) : `${value}\n`;
}

/** `upsc -l` (names) and `upsc -L` (names with descriptions). */
export function formatUpsList(
  list: readonly UpsListEntry[],
  withDescriptions: boolean,
  json: boolean,
): string {
  if (withDescriptions) {
    if (json) return jsonObject(list.map((u) => [u.name, u.description] as const));
    return list.map((u) => `${u.name}: ${u.description}\n`).join("");
  }
  if (json) return jsonArray(list.map((u) => u.name));
  return list.map((u) => `${u.name}\n`).join("");
}

/** `upsc -c <ups>`: one client address per line; `-j`: a JSON array. */
export function formatClients(addresses: readonly string[], json: boolean): string {
  return json ? jsonArray(addresses) : addresses.map((a) => `${a}\n`).join("");
}

/**
 * The JSON that `upsc -j` puts on stdout when it fails (the `Error: ...` line still goes to stderr).
 * `upsc -j <ups>` has already printed `{` when the LIST VAR request fails, so its error is nested;
 * every other failure, and any failure before the request was sent, is the one-line object.
 */
export function formatJsonFailure(
  query: UpscQuery | undefined,
  message: string,
  requestSent: boolean,
): string {
  if (query?.kind === "list-vars" && requestSent) return jsonErrorInObject(message);
  return jsonError(message);
}
