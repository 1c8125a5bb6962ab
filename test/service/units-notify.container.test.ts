// nutguard-monitor.service as Type=notify under a real systemd (scenario in unit-type-scenario.ts).
import { describeUnitType } from "./unit-type-scenario.js";

describeUnitType("notify");
