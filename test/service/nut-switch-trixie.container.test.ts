// Switching from NUT's upsmon and repairing it, on Debian's trixie (scenario in nut-switch-scenarios.ts).
import { describeNutSwitch } from "./nut-switch-scenarios.js";

describeNutSwitch("trixie");
