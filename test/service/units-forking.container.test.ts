// nutguard-monitor.service as Type=forking under a real systemd (scenario in unit-type-scenario.ts).
import { describeUnitType } from "./unit-type-scenario.js";

describeUnitType("forking");
