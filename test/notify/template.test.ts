import { describe, expect, it } from "vitest";
import {
  defaultText,
  defaultTitle,
  type NotificationFacts,
  parseTemplate,
  renderNotification,
  renderTemplate,
} from "../../src/notify/template.js";

const facts: NotificationFacts = {
  event: "ONBATT",
  ups: "rack@nas.lan:3493",
  nutMessage: "UPS rack@nas.lan:3493 on battery",
  status: "OB DISCHRG",
  charge: 93,
  runtime: 1260,
  host: "nas",
  time: "2026-12-05T16:00:00.000Z",
};
const hostWide: NotificationFacts = {
  ...facts,
  event: "SHUTDOWN",
  ups: null,
  nutMessage: "Auto logout and shutdown proceeding",
  status: null,
  charge: null,
  runtime: null,
};

describe("templates", () => {
  it.each([
    ["{ups} is {status}", facts, "rack@nas.lan:3493 is OB DISCHRG"],
    ["{upsname}: {charge} % / {runtime} s", facts, "rack: 93 % / 1260 s"],
    ["{EVENT} on {host} at {time}", facts, "ONBATT on nas at 2026-12-05T16:00:00.000Z"],
    ["[{message}]", facts, "[UPS rack@nas.lan:3493 on battery]"],
    ["{{literal}} {ups}", facts, "{literal} rack@nas.lan:3493"],
    ["{event} {ups}{status} {charge}", hostWide, "SHUTDOWN ? ?"],
    ["no fields", facts, "no fields"],
  ])("%s", (text, f, want) => {
    expect(renderTemplate(parseTemplate(text), f)).toBe(want);
  });

  it.each([
    ["{volts}", "unknown field {volts}"],
    ["{ups", 'unclosed "{" at character 1'],
    ["a } b", 'unmatched "}" at character 3'],
  ])("refuses %s", (text, error) => {
    expect(() => parseTemplate(text)).toThrow(error);
  });

  it("defaults: NUT's message with what is known of the UPS, and a title naming host, event and UPS", () => {
    expect(defaultText(facts)).toBe(
      "UPS rack@nas.lan:3493 on battery (status OB DISCHRG, charge 93 %, runtime 1260 s) on nas",
    );
    expect(defaultText(hostWide)).toBe("Auto logout and shutdown proceeding on nas");
    expect(defaultText({ ...facts, charge: null, runtime: null })).toBe(
      "UPS rack@nas.lan:3493 on battery (status OB DISCHRG) on nas",
    );
    expect(defaultTitle(facts)).toBe("nutguard on nas: ONBATT rack@nas.lan:3493");
    expect(defaultTitle(hostWide)).toBe("nutguard on nas: SHUTDOWN");
  });

  it("the payload carries the webhook fields in order, message from the template", () => {
    const { payload, title } = renderNotification(
      facts,
      parseTemplate("{upsname} {status}"),
      parseTemplate("{event}!"),
    );
    expect(JSON.stringify(payload)).toBe(
      '{"event":"ONBATT","ups":"rack@nas.lan:3493","message":"rack OB DISCHRG","status":"OB DISCHRG","charge":93,"runtime":1260,"host":"nas","time":"2026-12-05T16:00:00.000Z"}',
    );
    expect(title).toBe("ONBATT!");
  });
});
