// nutguard from its .deb on Debian's trixie, no Node.js (scenario in nut-switch-deb-scenarios.ts).
import { describeDebSwitch } from "./nut-switch-deb-scenarios.js";

describeDebSwitch("trixie");
