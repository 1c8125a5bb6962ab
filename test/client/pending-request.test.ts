/** What a reply line means for the oldest pending request (client/pending-request.ts judgeReply): a table. */
import { describe, expect, it } from "vitest";
import {
  judgeReply,
  newPending,
  type ReplyVerdict,
  type SendSpec,
} from "../../src/client/pending-request.js";

const GET: SendSpec = {
  line: "GET VAR ups ups.status",
  label: "GET VAR",
  expect: ["VAR"],
  echo: ["ups", "ups.status"],
};
const LIST: SendSpec = { line: "LIST VAR ups", label: "LIST VAR", listQuery: ["VAR", "ups"] };
const RAW: SendSpec = { line: "FOO", label: "FOO", errAsReply: true };

describe("judgeReply", () => {
  const cases: [string, SendSpec, boolean, string, ReplyVerdict][] = [
    ["the VAR reply", GET, false, 'VAR ups ups.status "OL"', "reply"],
    ["echoed names compare without case", GET, false, 'VAR UPS UPS.STATUS "OL"', "reply"],
    ["ERR is the server's error", GET, false, "ERR VAR-NOT-SUPPORTED", "server-error"],
    ["ERR kept as a reply (rawRequest)", RAW, false, "ERR UNKNOWN-COMMAND", "reply"],
    ["another keyword", GET, false, "OK", { mismatch: "unexpected reply to GET VAR ups ups.status: OK" }],
    [
      "another UPS's variable",
      GET,
      false,
      'VAR other ups.status "OB LB"',
      { mismatch: 'reply does not answer GET VAR ups ups.status: VAR other ups.status "OB LB"' },
    ],
    ["BEGIN LIST", LIST, false, "BEGIN LIST VAR ups", "list-begin"],
    ["a list item", LIST, true, 'VAR ups ups.status "OL"', "list-item"],
    ["END LIST", LIST, true, "END LIST VAR ups", "list-end"],
    ["ERR instead of a list", LIST, false, "ERR UNKNOWN-UPS", "server-error"],
    [
      "an item of another list",
      LIST,
      true,
      'VAR other ups.status "OL"',
      { mismatch: 'reply does not frame LIST VAR ups: VAR other ups.status "OL"' },
    ],
  ];
  it.each(cases)("%s", (_name, spec, begun, line, verdict) => {
    const p = newPending(spec, undefined, false, undefined);
    p.promise.catch(() => {});
    p.listBegun = begun;
    const words = line.split(" ").map((w) => w.replace(/^"|"$/g, ""));
    expect(judgeReply(p, words, line)).toEqual(verdict);
  });

  it("never names a password in a mismatch", () => {
    const p = newPending(
      { line: "PASSWORD s3cret", label: "PASSWORD", expect: ["OK"] },
      undefined,
      false,
      undefined,
    );
    expect(judgeReply(p, ["VAR", "x"], "VAR x")).toEqual({ mismatch: "unexpected reply to PASSWORD: VAR x" });
  });
});
