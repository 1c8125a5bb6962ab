// nutguard from its .deb on Debian's bookworm, no Node.js (scenario in nut-switch-deb-scenarios.ts).
import { describeDebSwitch } from "./nut-switch-deb-scenarios.js";

describeDebSwitch("bookworm");
