/**
 * POSIX getopt(3) as NUT's tools use it: option strings like `"+DhlLcVW:jA:"`, where a leading `+`
 * stops parsing at the first word that is not an option (the rest are operands), `x:` takes an
 * argument (attached `-xVAL` or the next word), flags cluster (`-lj`), and `--` ends the options.
 *
 * Pure: no I/O. Diagnostics are returned in glibc's wording (`<prog>: invalid option -- 'x'`,
 * `<prog>: option requires an argument -- 'x'`) for the caller to print.
 */

export interface ParsedOption {
  /** The option letter, or `"?"` for an unknown option / missing argument (as getopt returns). */
  letter: string;
  /** The argument of an option declared with `:`. */
  value?: string;
  /** For `"?"`: the glibc diagnostic line (without the program name prefix). */
  diagnostic?: string;
}

export interface GetoptResult {
  options: ParsedOption[];
  /** The words left after the options (NUT's `argv + optind`). */
  operands: string[];
}

export function getopt(argv: readonly string[], optstring: string): GetoptResult {
  const stopAtOperand = optstring.startsWith("+");
  const spec = stopAtOperand ? optstring.slice(1) : optstring;
  const options: ParsedOption[] = [];
  const operands: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const word = argv[i]!;
    if (word === "--") {
      operands.push(...argv.slice(i + 1));
      break;
    }
    if (!word.startsWith("-") || word === "-") {
      if (stopAtOperand) {
        operands.push(...argv.slice(i));
        break;
      }
      operands.push(word);
      i++;
      continue;
    }
    i++;
    for (let j = 1; j < word.length; j++) {
      const letter = word[j]!;
      const at = letter === ":" || letter === "+" ? -1 : spec.indexOf(letter);
      if (at < 0) {
        options.push({ letter: "?", diagnostic: `invalid option -- '${letter}'` });
        continue;
      }
      if (spec[at + 1] !== ":") {
        options.push({ letter });
        continue;
      }
      const attached = word.slice(j + 1);
      if (attached !== "") {
        options.push({ letter, value: attached });
      } else if (i < argv.length) {
        options.push({ letter, value: argv[i]! });
        i++;
      } else {
        options.push({ letter: "?", diagnostic: `option requires an argument -- '${letter}'` });
      }
      break;
    }
  }
  return { options, operands };
}
