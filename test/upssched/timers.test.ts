import { describe, expect, it } from "vitest";
import { parseUpsschedConf } from "../../src/config/upssched-conf.js";
import { formatTimerList, UpsschedTimers } from "../../src/upssched/timers.js";

const conf = (ats: string) => parseUpsschedConf(`CMDSCRIPT /bin/cmd\nPIPEFN /p\nLOCKFN /l\n${ats}`);

type Step = [atMs: number, type: string, ups: string] | [atMs: number, "tick"];

/** Run a timeline; each CMDSCRIPT run as "time arg UPSNAME/NOTIFYTYPE". */
function run(ats: string, steps: Step[]): string[] {
  const t = new UpsschedTimers(conf(ats));
  const out: string[] = [];
  for (const step of steps) {
    const [at] = step;
    const runs =
      step[1] === "tick" ? t.due(at) : t.notify(step[1], step[2] ?? "", `${step[1]} ${step[2]}`, at);
    for (const r of runs) out.push(`${at} ${r.arg} ${r.env.UPSNAME}/${r.env.NOTIFYTYPE}`);
  }
  return out;
}

const ONBATT_TIMER = "AT ONBATT * START-TIMER onbatt 30\nAT ONLINE * CANCEL-TIMER onbatt online\n";

describe("built-in upssched timers (NUT 2.8.5 semantics)", () => {
  it.each<{ name: string; ats: string; steps: Step[]; runs: string[] }>([
    {
      name: "a short outage cancels the timer",
      ats: ONBATT_TIMER,
      steps: [
        [0, "ONBATT", "a@h"],
        [10_000, "ONLINE", "a@h"],
        [40_000, "tick"],
      ],
      runs: [],
    },
    {
      name: "a long outage fires it at the delay",
      ats: ONBATT_TIMER,
      steps: [
        [0, "ONBATT", "a@h"],
        [29_999, "tick"],
        [30_000, "tick"],
        [31_000, "ONLINE", "a@h"],
      ],
      runs: ["30000 onbatt a@h/ONBATT", "31000 online a@h/ONLINE"],
    },
    {
      name: "CANCEL-TIMER with nothing running runs its command",
      ats: ONBATT_TIMER,
      steps: [[0, "ONLINE", "a@h"]],
      runs: ["0 online a@h/ONLINE"],
    },
    {
      name: "the UPS must match exactly or be *",
      ats: "AT ONBATT b@h START-TIMER t 1\n",
      steps: [
        [0, "ONBATT", "a@h"],
        [0, "ONBATT", "b"],
        [5000, "tick"],
      ],
      runs: [],
    },
    {
      name: "the type matches case-insensitively",
      ats: "AT onbatt a@h EXECUTE now\n",
      steps: [[0, "ONBATT", "a@h"]],
      runs: ["0 now a@h/ONBATT"],
    },
    {
      name: "every matching AT line runs, in file order",
      ats: "AT ONBATT * EXECUTE first\nAT ONBATT a@h EXECUTE second\nAT ONBATT * START-TIMER t 0\n",
      steps: [
        [0, "ONBATT", "a@h"],
        [0, "tick"],
      ],
      runs: ["0 first a@h/ONBATT", "0 second a@h/ONBATT", "0 t a@h/ONBATT"],
    },
    {
      name: "START-TIMER twice: two independent timers",
      ats: "AT ONBATT * START-TIMER t 10\n",
      steps: [
        [0, "ONBATT", "a@h"],
        [5000, "ONBATT", "b@h"],
        [10_000, "tick"],
        [15_000, "tick"],
      ],
      runs: ["10000 t a@h/ONBATT", "15000 t b@h/ONBATT"],
    },
    {
      name: "CANCEL-TIMER removes every timer of the name (2.8.5)",
      ats: "AT ONBATT * START-TIMER t 10\nAT ONLINE * CANCEL-TIMER t\n",
      steps: [
        [0, "ONBATT", "a@h"],
        [1, "ONBATT", "b@h"],
        [2, "ONLINE", "a@h"],
        [20_000, "tick"],
      ],
      runs: [],
    },
    {
      name: "two UPSes sharing a timer: one run with both, comma-joined",
      ats: "AT ONBATT * START-TIMER-SHARED both 10\n",
      steps: [
        [0, "ONBATT", "a@h"],
        [4000, "ONBATT", "b@h"],
        [9999, "tick"],
        [10_000, "tick"],
      ],
      runs: ["10000 both a@h,b@h/ONBATT,ONBATT"],
    },
    {
      name: "CANCEL-TIMER-MATCHED: a shared timer loses one UPS, fires for the other",
      ats: "AT ONBATT * START-TIMER-SHARED both 10\nAT ONLINE * CANCEL-TIMER-MATCHED both\n",
      steps: [
        [0, "ONBATT", "a@h"],
        [1, "ONBATT", "b@h"],
        [2, "ONLINE", "a@h"],
        [10_000, "tick"],
      ],
      runs: ["10000 both b@h/ONBATT"],
    },
    {
      name: "CANCEL-TIMER-MATCHED: the last UPS ends it; nothing of that UPS runs the command",
      ats: "AT ONBATT * START-TIMER-SHARED both 10\nAT ONLINE * CANCEL-TIMER-MATCHED both back\n",
      steps: [
        [0, "ONBATT", "a@h"],
        [1, "ONLINE", "a@h"],
        [2, "ONLINE", "a@h"],
        [10_000, "tick"],
      ],
      runs: ["2 back a@h/ONLINE"],
    },
    {
      name: "CANCEL-TIMER-MATCHED leaves other UPSes' plain timers",
      ats: "AT ONBATT * START-TIMER t 10\nAT ONLINE * CANCEL-TIMER-MATCHED t\n",
      steps: [
        [0, "ONBATT", "a@h"],
        [1, "ONBATT", "b@h"],
        [2, "ONLINE", "b@h"],
        [10_000, "tick"],
      ],
      runs: ["10000 t a@h/ONBATT"],
    },
    {
      name: "host-wide events have an empty UPSNAME",
      ats: "AT SHUTDOWN * EXECUTE bye\n",
      steps: [[0, "SHUTDOWN", ""]],
      runs: ["0 bye /SHUTDOWN"],
    },
  ])("$name", ({ ats, steps, runs }) => {
    expect(run(ats, steps)).toEqual(runs);
  });

  it("a fired timer carries NOTIFYMSG joined by '.\\t'", () => {
    const t = new UpsschedTimers(conf("AT ONBATT * START-TIMER-SHARED both 1\n"));
    t.notify("ONBATT", "a@h", "UPS a@h on battery", 0);
    t.notify("ONBATT", "b@h", "UPS b@h on battery", 10);
    expect(t.due(1000)).toEqual([
      {
        arg: "both",
        why: "timer",
        env: {
          UPSNAME: "a@h,b@h",
          NOTIFYTYPE: "ONBATT,ONBATT",
          NOTIFYMSG: "UPS a@h on battery.\tUPS b@h on battery",
        },
      },
    ]);
  });

  it("lists running timers like upssched -l (NUT 2.8.5)", () => {
    const t = new UpsschedTimers(
      conf("AT ONBATT * START-TIMER onbatt 300\nAT ONBATT * START-TIMER-SHARED grp 60\n"),
    );
    t.notify("ONBATT", "a@h", "m1", 1_800_000_000_000);
    t.notify("ONBATT", "b@h", "m2", 1_800_000_010_000);
    expect(t.nextDueMs()).toBe(1_800_000_060_000);
    expect(formatTimerList(t.list(), 1_800_000_020_000)).toEqual([
      "onbatt\t1800000300\t280\tONBATT\ta@h\tm1",
      "grp\t1800000060\t40\tONBATT,ONBATT\ta@h,b@h\tm1.\tm2",
      "onbatt\t1800000310\t290\tONBATT\tb@h\tm2",
      "END LIST TIMERS",
    ]);
  });
});
