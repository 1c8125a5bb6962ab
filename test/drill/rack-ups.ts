/** The drill tests' "real" UPS: 1320 s of runtime at 100 %, LB at 10 % charge (19m48s into an outage). */
export const RACK_UPS_DEV = `device.mfr: Acme
ups.mfr: Acme
ups.model: Rack 1500
ups.status: OL
ups.load: 40
battery.charge: 100
battery.runtime: 1320
battery.charge.low: 10
battery.runtime.low: 120
`;
