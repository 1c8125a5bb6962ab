// nutguard-monitor.service as Type=simple under a real systemd (scenario in unit-type-scenario.ts).
import { describeUnitType } from "./unit-type-scenario.js";

describeUnitType("simple");
