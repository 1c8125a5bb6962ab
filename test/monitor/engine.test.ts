/**
 * upsmon's notification rules, one table row per rule, on virtual time (seconds).
 * Each row: a timeline of polls → the notifications and shutdown decision a user would see.
 * Reference: ../shared/reference/upsmon.md §3–§6.
 */
import { describe, expect, it } from "vitest";
import { every, FAIL, ONE_PRIMARY, ONE_SECONDARY, type Round, simulate } from "./timeline.js";

interface Row {
  rule: string;
  conf?: string;
  timeline: Round[];
  expected: string[];
}

const notifications: Row[] = [
  {
    rule: "the first OL and the first COMMOK after start are silent",
    timeline: [
      [0, "OL"],
      [5, "OL CHRG"],
    ],
    expected: [],
  },
  {
    rule: "OL → OB → OL notifies ONBATT then ONLINE",
    timeline: [
      [0, "OL"],
      [5, "OB DISCHRG"],
      [10, "OB DISCHRG"],
      [15, "OL CHRG"],
    ],
    expected: ["5 ONBATT u", "15 ONLINE u"],
  },
  { rule: "OB at start is not silent", timeline: [[0, "OB DISCHRG"]], expected: ["0 ONBATT u"] },
  {
    rule: "a failed poll after OL notifies COMMBAD at once, then NOCOMM after NOCOMMWARNTIME, repeated",
    conf: `${ONE_PRIMARY}NOCOMMWARNTIME 10\n`,
    timeline: [[0, "OL"], ...every(5, 5, 40, FAIL)],
    expected: ["5 COMMBAD u", "10 NOCOMM u", "25 NOCOMM u", "40 NOCOMM u"],
  },
  {
    rule: "a UPS never reached: COMMBAD on the first failed poll, NOCOMM on the second",
    timeline: [
      [0, FAIL],
      [5, FAIL],
      [10, FAIL],
    ],
    expected: ["0 COMMBAD u", "5 NOCOMM u"],
  },
  {
    rule: "communication restored notifies COMMOK (not the first one)",
    timeline: [
      [0, "OL"],
      [5, FAIL],
      [10, "OL"],
    ],
    expected: ["5 COMMBAD u", "10 COMMOK u"],
  },
  {
    rule: "REPLBATT comes at once, then again only after RBWARNTIME",
    conf: `${ONE_PRIMARY}RBWARNTIME 20\n`,
    timeline: every(5, 0, 30, "OL RB"),
    expected: ["0 REPLBATT u", "25 REPLBATT u"],
  },
  {
    rule: "CAL, BYPASS, TRIM, BOOST and OVER notify when they appear and NOT… when they go",
    timeline: [
      [0, "OL"],
      [5, "OL CAL"],
      [10, "OL BYPASS"],
      [15, "OL TRIM"],
      [20, "OL BOOST OVER"],
      [25, "OL"],
    ],
    expected: [
      "5 CAL u",
      "10 NOTCAL u",
      "10 BYPASS u",
      "15 NOTBYPASS u",
      "15 TRIM u",
      "20 NOTTRIM u",
      "20 BOOST u",
      "20 OVER u",
      "25 NOTOVER u",
      "25 NOTBOOST u",
    ],
  },
  {
    rule: "OFF notifies OFF, and NOTOFF when it ends",
    timeline: [
      [0, "OL"],
      [5, "OFF"],
      [10, "OL"],
    ],
    expected: ["5 OFF u", "10 NOTOFF u"],
  },
  {
    rule: "ALARM carries ups.alarm, notifies again when the text changes, NOTALARM at the end",
    timeline: [
      [0, "OL"],
      [5, { status: "OL ALARM", alarm: "Fan failure" }],
      [10, { status: "OL ALARM", alarm: "Fan failure" }],
      [15, { status: "OL ALARM", alarm: "Fan failure, Overheat" }],
      [20, "OL"],
    ],
    expected: ["5 ALARM u [Fan failure]", "15 ALARM u [Fan failure, Overheat]", "20 NOTALARM u"],
  },
  {
    rule: "ALARM whose ups.alarm cannot be read says n/a",
    timeline: [[0, "OL ALARM"]],
    expected: ["0 ALARM u [n/a]"],
  },
  {
    rule: "ECO from the status token, and NOTECO when it goes",
    timeline: [
      [0, "OL"],
      [5, "OL ECO"],
      [10, "OL"],
    ],
    expected: ["5 ECO u", "10 NOTECO u"],
  },
  {
    rule: "ECO from ups.mode.buzzwords only when it names an ECO-like mode (upstream bug not copied)",
    timeline: [
      [0, { status: "OL", buzzwords: "vendor:eaton:online" }],
      [5, { status: "OL", buzzwords: "vendor:eaton:HE" }],
      [10, { status: "OL", buzzwords: "vendor:eaton:online" }],
    ],
    expected: ["5 ECO u", "10 NOTECO u"],
  },
  {
    rule: "unclassified tokens notify OTHER with the list, again when it changes, NOTOTHER when none remain",
    timeline: [
      [0, "WAIT"],
      [5, "OL TEST"],
      [10, "OL TEST"],
      [15, "OL"],
    ],
    expected: ["0 OTHER u [WAIT]", "5 OTHER u [TEST]", "15 NOTOTHER u"],
  },
  {
    rule: "status tokens are matched case-insensitively",
    timeline: [
      [0, "ol"],
      [5, "ob"],
    ],
    expected: ["5 ONBATT u"],
  },
];

const critical: Row[] = [
  {
    rule: "a primary on OB LB decides to shut down in the same round",
    timeline: [
      [0, "OL"],
      [5, "OB DISCHRG"],
      [10, "OB LB DISCHRG"],
    ],
    expected: ["5 ONBATT u", "10 LOWBATT u", "10 SHUTDOWN-DECISION"],
  },
  {
    rule: "a secondary on OB LB waits HOSTSYNC for the primary's FSD, then gives up",
    conf: `${ONE_SECONDARY}HOSTSYNC 15\n`,
    timeline: [[0, "OB"], ...every(5, 5, 40, "OB LB")],
    expected: ["0 ONBATT u", "5 LOWBATT u", "25 SHUTDOWN-DECISION"],
  },
  {
    rule: "a secondary shuts down as soon as FSD appears",
    conf: `${ONE_SECONDARY}HOSTSYNC 15\n`,
    timeline: [
      [0, "OB"],
      [5, "OB LB"],
      [6, "FSD OB LB"],
    ],
    expected: ["0 ONBATT u", "5 LOWBATT u", "6 FSD u", "6 SHUTDOWN-DECISION"],
  },
  {
    rule: "a secondary ignores an OB LB blip shorter than HOSTSYNC",
    conf: `${ONE_SECONDARY}HOSTSYNC 15\n`,
    timeline: [
      [0, "OB"],
      [5, "OB LB"],
      [10, "OB LB"],
      [15, "OB"],
      [20, "OB LB"],
      [30, "OL"],
    ],
    expected: ["0 ONBATT u", "5 LOWBATT u", "20 LOWBATT u", "30 ONLINE u"],
  },
  {
    rule: "FSD latched at upsd makes even an OL primary shut down at once",
    timeline: [[0, "FSD OL"]],
    expected: ["0 FSD u", "0 SHUTDOWN-DECISION"],
  },
  {
    rule: "driver lost while OL: COMMBAD, NOCOMM, never a shutdown",
    conf: `${ONE_PRIMARY}NOCOMMWARNTIME 60\nDEADTIME 15\n`,
    timeline: [[0, "OL"], ...every(5, 5, 120, FAIL)],
    expected: ["5 COMMBAD u", "60 NOCOMM u"],
  },
  {
    rule: "driver lost while OB: the UPS is promoted to OB LB after DEADTIME (primary)",
    conf: `${ONE_PRIMARY}DEADTIME 15\n`,
    timeline: [[0, "OB"], ...every(5, 5, 40, FAIL)],
    expected: ["0 ONBATT u", "5 COMMBAD u", "20 log: Promoting dead UPS: u", "20 SHUTDOWN-DECISION"],
  },
  {
    rule: "driver lost while OB: a secondary also goes after DEADTIME",
    conf: `${ONE_SECONDARY}DEADTIME 15\nHOSTSYNC 5\n`,
    timeline: [[0, "OB"], ...every(5, 5, 40, FAIL)],
    expected: ["0 ONBATT u", "5 COMMBAD u", "20 log: Promoting dead UPS: u", "20 SHUTDOWN-DECISION"],
  },
  {
    rule: "lost while calibrating: assumed dead at once (upsmon's rule, NUT #2794/#3026)",
    timeline: [
      [0, "OL CAL"],
      [5, FAIL],
    ],
    expected: ["0 CAL u", "5 COMMBAD u", "5 SHUTDOWN-DECISION"],
  },
  {
    rule: "lost while calibrating, NUTGUARD_CALCOMMLOST_CRITICAL 0: no shutdown while it was OL",
    conf: `${ONE_PRIMARY}NUTGUARD_CALCOMMLOST_CRITICAL 0\n`,
    timeline: [[0, "OL CAL"], ...every(5, 5, 60, FAIL)],
    expected: ["0 CAL u", "5 COMMBAD u"],
  },
  {
    rule: "lost while on BYPASS: assumed dead at once",
    timeline: [
      [0, "OL BYPASS"],
      [5, FAIL],
    ],
    expected: ["0 BYPASS u", "5 COMMBAD u", "5 SHUTDOWN-DECISION"],
  },
  {
    rule: "lost while OFF: assumed dead at once",
    timeline: [
      [0, "OFF"],
      [5, FAIL],
    ],
    expected: ["0 OFF u", "5 COMMBAD u", "5 SHUTDOWN-DECISION"],
  },
  {
    rule: "lost while OFF with OFFDURATION -1: not critical",
    conf: `${ONE_PRIMARY}OFFDURATION -1\n`,
    timeline: [[0, "OFF"], ...every(5, 5, 60, FAIL)],
    expected: ["0 OFF u", "5 COMMBAD u"],
  },
  {
    rule: "OFF while communicating becomes critical after OFFDURATION",
    conf: `${ONE_PRIMARY}OFFDURATION 10\n`,
    timeline: every(5, 0, 30, "OFF"),
    expected: ["0 OFF u", "15 SHUTDOWN-DECISION"],
  },
  {
    rule: "OFF with OFFDURATION 0 is critical at once",
    conf: `${ONE_PRIMARY}OFFDURATION 0\n`,
    timeline: [[0, "OFF"]],
    expected: ["0 OFF u", "0 SHUTDOWN-DECISION"],
  },
  {
    rule: "OFF with OFFDURATION -1 is never critical",
    conf: `${ONE_PRIMARY}OFFDURATION -1\n`,
    timeline: every(5, 0, 120, "OFF"),
    expected: ["0 OFF u"],
  },
  {
    rule: "lost while in ALARM: assumed dead (ALARMCRITICAL 1, the default)",
    timeline: [
      [0, { status: "OL ALARM", alarm: "x" }],
      [5, FAIL],
    ],
    expected: ["0 ALARM u [x]", "5 COMMBAD u", "5 SHUTDOWN-DECISION"],
  },
  {
    rule: "lost while in ALARM with ALARMCRITICAL 0: not critical",
    conf: `${ONE_PRIMARY}ALARMCRITICAL 0\n`,
    timeline: [[0, { status: "OL ALARM", alarm: "x" }], ...every(5, 5, 30, FAIL)],
    expected: ["0 ALARM u [x]", "5 COMMBAD u"],
  },
  {
    rule: "lost while OVER with OVERDURATION -1 (default): not critical",
    timeline: [[0, "OL OVER"], ...every(5, 5, 60, FAIL)],
    expected: ["0 OVER u", "5 COMMBAD u"],
  },
  {
    rule: "lost while OVER with OVERDURATION 10: critical once OVER has lasted 10 s",
    conf: `${ONE_PRIMARY}OVERDURATION 10\n`,
    timeline: [[0, "OL OVER"], ...every(5, 5, 60, FAIL)],
    expected: ["0 OVER u", "5 COMMBAD u", "10 SHUTDOWN-DECISION"],
  },
  {
    rule: "lost while trimming or boosting: a warning only",
    timeline: [[0, "OL TRIM BOOST"], ...every(5, 5, 30, FAIL)],
    expected: ["0 TRIM u", "0 BOOST u", "5 COMMBAD u"],
  },
  {
    rule: "OB LB while calibrating is not critical",
    timeline: every(5, 0, 60, "OB LB CAL"),
    expected: ["0 ONBATT u", "0 LOWBATT u", "0 CAL u"],
  },
  {
    rule: "OBLBDURATION delays the primary's decision until OB LB has lasted that long",
    conf: `${ONE_PRIMARY}OBLBDURATION 10\n`,
    timeline: [[0, "OB"], ...every(5, 5, 30, "OB LB")],
    expected: ["0 ONBATT u", "5 LOWBATT u", "15 SHUTDOWN-DECISION"],
  },
  {
    rule: "OBLBDURATION: an OB LB that ends in time resets the timer",
    conf: `${ONE_PRIMARY}OBLBDURATION 10\n`,
    timeline: [
      [0, "OB LB"],
      [5, "OB LB"],
      [8, "OB"],
      [10, "OB LB"],
      [15, "OB LB"],
      [20, "OB LB"],
    ],
    expected: ["0 ONBATT u", "0 LOWBATT u", "10 LOWBATT u", "20 SHUTDOWN-DECISION"],
  },
  {
    rule: "OBLBDURATION: an OB LB that ends with the power back starts its timer afresh next time",
    conf: `${ONE_PRIMARY}OBLBDURATION 10\n`,
    timeline: [[0, "OB LB"], ...every(5, 5, 15, "OL"), ...every(5, 20, 40, "OB LB")],
    expected: [
      "0 ONBATT u",
      "0 LOWBATT u",
      "5 ONLINE u",
      "20 ONBATT u",
      "20 LOWBATT u",
      "30 SHUTDOWN-DECISION",
    ],
  },
];

const POWER = "MONITOR alpha 2 mon pass primary\nMONITOR beta 1 mon pass primary\nMINSUPPLIES 2\n";
const power: Row[] = [
  {
    rule: "redundant supplies: losing alpha (power 2 of 3, MINSUPPLIES 2) shuts down",
    conf: POWER,
    timeline: [
      [0, { alpha: "OL", beta: "OL" }],
      [5, { alpha: "OB LB", beta: "OL" }],
    ],
    expected: ["5 ONBATT alpha", "5 LOWBATT alpha", "5 SHUTDOWN-DECISION"],
  },
  {
    rule: "redundant supplies: losing beta (power 1) keeps running",
    conf: POWER,
    timeline: [
      [0, { alpha: "OL", beta: "OL" }],
      [5, { alpha: "OL", beta: "OB LB" }],
      [10, { alpha: "OL", beta: "OB LB" }],
    ],
    expected: ["5 ONBATT beta", "5 LOWBATT beta"],
  },
  {
    rule: "MINSUPPLIES 0 means notifications only, never a shutdown",
    conf: `${ONE_PRIMARY}MINSUPPLIES 0\n`,
    timeline: [[0, "FSD OB LB"]],
    expected: ["0 FSD u", "0 ONBATT u", "0 LOWBATT u"],
  },
  {
    rule: "power value 0 (monitoring only) never counts",
    conf: "MONITOR a 1 mon pass primary\nMONITOR b 0 mon pass primary\n",
    timeline: [[0, { a: "OL", b: "OB LB" }]],
    expected: ["0 ONBATT b", "0 LOWBATT b"],
  },
  {
    rule: "a UPS never reached counts as healthy (upsmon's rule, kept)",
    timeline: every(5, 0, 60, FAIL),
    expected: ["0 COMMBAD u", "5 NOCOMM u"],
  },
];

describe("engine: notifications", () => {
  it.each(notifications)("$rule", ({ conf, timeline, expected }) => {
    expect(simulate(timeline, conf === undefined ? {} : { conf })).toEqual(expected);
  });
});

describe("engine: critical UPS and the shutdown decision", () => {
  it.each(critical)("$rule", ({ conf, timeline, expected }) => {
    expect(
      simulate(timeline, { ...(conf === undefined ? {} : { conf }), logsMatching: ["Promoting"] }),
    ).toEqual(expected);
  });
});

describe("engine: power values against MINSUPPLIES", () => {
  it.each(power)("$rule", ({ conf, timeline, expected }) => {
    expect(simulate(timeline, conf === undefined ? {} : { conf })).toEqual(expected);
  });
});
