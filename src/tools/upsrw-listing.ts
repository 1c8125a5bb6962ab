/**
 * The text `upsrw <ups>` prints per writable variable (NUT `clients/upsrw.c` `print_rw()` and
 * `do_type()`), as pure functions: `planRwType()` reads the TYPE flags and says what else must be
 * fetched; `formatRwEntry()` turns the fetched data into the block. No I/O.
 */
import { strtolPrefix } from "../protocol/upsname.js";

/** What do_type() decided from the flags of `TYPE <ups> <var> <flags...>`. */
export type RwTypePlan =
  | { kind: "string"; maxLength: number }
  | { kind: "number" }
  | { kind: "enum"; valueType: "STRING" | "NUMBER" | "NONE"; maxLength: number }
  | { kind: "range" }
  | { kind: "none" };

export interface RwTypeDecision {
  /** `Type: <flag> (unrecognized)` lines printed before the type block. */
  unrecognized: string[];
  plan: RwTypePlan;
}

/** do_type(): walk the flags in order; the first STRING:/NUMBER/RANGE decides, ENUM modifies. */
export function planRwType(flags: readonly string[]): RwTypeDecision {
  const unrecognized: string[] = [];
  let isEnum = false;
  for (const flag of flags) {
    const upper = flag.toUpperCase();
    if (upper === "ENUM") {
      isEnum = true;
    } else if (upper === "RANGE") {
      return { unrecognized, plan: { kind: "range" } };
    } else if (upper.startsWith("STRING:")) {
      const maxLength = strtolPrefix(flag.slice(7));
      return {
        unrecognized,
        plan: isEnum ? { kind: "enum", valueType: "STRING", maxLength } : { kind: "string", maxLength },
      };
    } else if (upper === "NUMBER") {
      return {
        unrecognized,
        plan: isEnum ? { kind: "enum", valueType: "NUMBER", maxLength: 0 } : { kind: "number" },
      };
    } else if (upper !== "RW") {
      unrecognized.push(`Type: ${flag} (unrecognized)`);
    }
  }
  return {
    unrecognized,
    plan: isEnum ? { kind: "enum", valueType: "NONE", maxLength: 0 } : { kind: "none" },
  };
}

export interface RwEntry {
  name: string;
  /** `GET DESC` text, or undefined when it could not be read. */
  description: string | undefined;
  /** undefined when `GET TYPE` failed ("Unknown type"). */
  type: RwTypeDecision | undefined;
  value: string;
  enumValues?: readonly string[];
  ranges?: ReadonlyArray<readonly [string, string]>;
}

/** C atoi(): the numeric prefix, 0 when none; wraps like a 32-bit int is not modelled. */
const atoi = strtolPrefix;

function typeBlock(entry: RwEntry): string[] {
  const { type } = entry;
  if (!type) return ["Unknown type"];
  const lines = [...type.unrecognized];
  const plan = type.plan;
  switch (plan.kind) {
    case "string":
      lines.push("Type: STRING", `Maximum length: ${plan.maxLength}`, `Value: ${entry.value}`);
      break;
    case "number":
      lines.push("Type: NUMBER", `Value: ${entry.value}`);
      break;
    case "enum":
      lines.push(plan.valueType === "NONE" ? "Type: ENUM" : `Type: ENUM ${plan.valueType}`);
      if (plan.valueType === "STRING") lines.push(`Maximum length: ${plan.maxLength}`);
      for (const option of entry.enumValues ?? []) {
        lines.push(`Option: "${option}"${option === entry.value ? " SELECTED" : ""}`);
      }
      break;
    case "range": {
      lines.push("Type: RANGE NUMBER");
      const current = atoi(entry.value);
      for (const [minText, maxText] of entry.ranges ?? []) {
        const min = atoi(minText);
        const max = atoi(maxText);
        lines.push(`Option: "${min}-${max}"${current >= min && current <= max ? " SELECTED" : ""}`);
      }
      break;
    }
    case "none":
      break;
  }
  return lines;
}

/** `[name]`, the description, the type block and an empty line. */
export function formatRwEntry(entry: RwEntry): string {
  const lines = [`[${entry.name}]`, entry.description ?? "Description unavailable", ...typeBlock(entry), ""];
  return lines.join("\n") + "\n";
}
