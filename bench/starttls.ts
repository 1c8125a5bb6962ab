/**
 * What STARTTLS costs against Debian's real upsd 2.8.0 (NSS), measured beside NUT's own `upsc`.
 * Starts a private upsd with a test certificate, then times, one after another:
 *   - nutguard, plaintext: connect, `GET VAR`, close;
 *   - nutguard, TLS: connect, STARTTLS + handshake (CA-verified), `GET VAR`, close; the same through
 *     NutClient (which also sends LOGOUT and waits for its reply); and the handshake alone;
 *   - `upsc dummy@host:port ups.status` (a process per run; NSS, STARTTLS without verification).
 * Prints median and 90th percentile in ms. Figures only: nothing here passes or fails.
 *
 * Run (as root, NUT installed):
 *   npx esbuild bench/starttls.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=/tmp/nutguard-bench/starttls.mjs && node /tmp/nutguard-bench/starttls.mjs [runs]
 */
import { execFile } from "node:child_process";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { NutClient } from "../src/client/client.js";
import { type NutTlsOptions, startTlsOnSocket } from "../src/client/tls.js";
import { DEFAULT_DEVICES, startNutStack } from "../test/helpers/nut-stack.js";
import { connectPlain, requestLine } from "../test/helpers/raw-lines.js";
import { makeTestPki } from "../test/helpers/tls-certs.js";

const runs = Number(process.argv[2] ?? 50);
const execFileAsync = promisify(execFile);

async function timeRuns(label: string, once: () => Promise<number | undefined>): Promise<void> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const inner = await once();
    samples.push(inner ?? performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!.toFixed(2);
  console.log(`${label.padEnd(58)} median ${at(0.5).padStart(7)} ms   p90 ${at(0.9).padStart(7)} ms`);
}

const pki = await makeTestPki();
const stack = await startNutStack({ devices: { dummy: DEFAULT_DEVICES.dummy! }, upsdConf: pki.upsdConf });
try {
  const tlsOptions: NutTlsOptions = { caFile: pki.caFile };
  const expected = 'VAR dummy ups.status "OL"';
  const check = (reply: string) => {
    if (reply !== expected) throw new Error(`unexpected reply: ${reply}`);
  };
  console.log(`upsd 2.8.0 (NSS) on 127.0.0.1:${stack.port}, ${runs} sequential runs each`);

  await timeRuns("nutguard plaintext: connect, GET VAR, close", async () => {
    const socket = await connectPlain(stack.port);
    check(await requestLine(socket, "GET VAR dummy ups.status"));
    socket.destroy();
    return undefined;
  });
  await timeRuns("nutguard TLS: connect, STARTTLS+handshake, GET VAR, close", async () => {
    const outcome = await startTlsOnSocket(await connectPlain(stack.port), tlsOptions);
    check(await requestLine(outcome.socket, "GET VAR dummy ups.status"));
    outcome.socket.destroy();
    return undefined;
  });
  await timeRuns("NutClient.connect({ tls }), getVar, close (LOGOUT)", async () => {
    const client = await NutClient.connect({ host: "127.0.0.1", port: stack.port, tls: tlsOptions });
    if ((await client.getVar("dummy", "ups.status")) !== "OL") throw new Error("unexpected status");
    await client.close();
    return undefined;
  });
  await timeRuns("nutguard TLS: STARTTLS + handshake only", async () => {
    const socket = await connectPlain(stack.port);
    const started = performance.now();
    const outcome = await startTlsOnSocket(socket, tlsOptions);
    const elapsed = performance.now() - started;
    outcome.socket.destroy();
    return elapsed;
  });
  await timeRuns("peer: upsc dummy@127.0.0.1:PORT ups.status (TLS, process)", async () => {
    const { stdout } = await execFileAsync("upsc", [`dummy@127.0.0.1:${stack.port}`, "ups.status"]);
    if (stdout.trim() !== "OL") throw new Error(`upsc printed ${stdout}`);
    return undefined;
  });
} finally {
  await stack.stop();
  await pki.remove();
}
