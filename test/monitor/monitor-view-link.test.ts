/**
 * The link state the view keeps (monitor/monitor-view.ts applyLink): which link reports are news (a
 * `link` event) and which are not. A dead server's reconnect attempts must not make two events a retry.
 */
import { describe, expect, it } from "vitest";
import { parseUpsmonConf } from "../../src/config/upsmon-conf.js";
import { type LinkStateChange, MonitorView } from "../../src/monitor/monitor-view.js";
import { createMemoryLogger } from "../../src/util/log.js";

const SYSTEM = "u@h";

describe("applyLink: what is news", () => {
  const cases: [string, LinkStateChange[], boolean[]][] = [
    [
      "start (a new link is connecting): connected is news",
      [{ state: "connecting" }, { state: "connected" }],
      [false, true],
    ],
    [
      "a dead server's retries: one lost, then nothing until it changes",
      [
        { state: "connecting" },
        { state: "lost", error: "connect timed out" },
        { state: "connecting" },
        { state: "lost", error: "connect timed out" },
        { state: "connecting" },
        { state: "lost", error: "connect timed out" },
      ],
      [false, true, false, false, false, false],
    ],
    [
      "a retry that fails differently is news",
      [
        { state: "lost", error: "connect timed out" },
        { state: "connecting" },
        { state: "lost", error: "Connection refused" },
      ],
      [true, false, true],
    ],
    [
      "a retry that succeeds is news",
      [{ state: "lost", error: "connect timed out" }, { state: "connecting" }, { state: "connected" }],
      [true, false, true],
    ],
  ];
  it.each(cases)("%s", (_name, changes, news) => {
    const view = new MonitorView(
      parseUpsmonConf(`MONITOR ${SYSTEM} 1 m p primary\n`, "upsmon.conf").config,
      undefined,
      createMemoryLogger(),
    );
    expect(changes.map((c) => view.applyLink(SYSTEM, c))).toEqual(news);
  });
});
