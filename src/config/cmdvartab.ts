/**
 * cmdvartab reader: the descriptions upsd serves for `GET DESC` and `GET CMDDESC`
 * (`VARDESC <var> "<text>"`, `CMDDESC <cmd> "<text>"`). Pure: text in, maps out.
 */
import { readConfigLines } from "./reader.js";

export interface Descriptions {
  vars: Map<string, string>;
  cmds: Map<string, string>;
}

export function parseCmdvartab(text: string, file = "cmdvartab"): Descriptions {
  const out: Descriptions = { vars: new Map(), cmds: new Map() };
  for (const { words } of readConfigLines(text, file)) {
    const [kind, name, desc] = words;
    if (name === undefined || desc === undefined) continue;
    if (kind === "VARDESC") out.vars.set(name.toLowerCase(), desc);
    else if (kind === "CMDDESC") out.cmds.set(name.toLowerCase(), desc);
  }
  return out;
}
