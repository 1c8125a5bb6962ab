/**
 * A scripted NUT driver for a real upsd: serves upsd's driver socket (the one dummy-ups would create)
 * and speaks the driver→upsd state protocol (`DUMPALL` → `SETINFO`/`SETFLAGS`/`SETAUX`/`ADDENUM`/
 * `ADDRANGE`/`ADDCMD`/`DATAOK`/`DUMPDONE`, `PING` → `PONG`). It exists because dummy-ups cannot
 * declare ENUM or RANGE variables, and only with those does upsd answer `ERR INVALID-VALUE`.
 *
 * Must not: run anywhere but in a NutStack's run directory (the path comes from driverSocketPath).
 */
import { chmod, chown, rm } from "node:fs/promises";
import net from "node:net";
import { quoteValue } from "../../src/protocol/encoder.js";
import { splitLine } from "../../src/protocol/tokenizer.js";

export interface FakeDriverVariable {
  value: string;
  rw?: boolean;
  /** STRING with this maximum length; otherwise NUMBER. */
  maxLength?: number;
  enum?: string[];
  range?: [number, number][];
}

export interface FakeDriver {
  /** Lines upsd sent to the driver (SET, INSTCMD, …), PING excluded. */
  readonly received: string[][];
  close(): Promise<void>;
}

export async function startFakeDriver(
  socketPath: string,
  vars: Record<string, FakeDriverVariable>,
  commands: string[] = [],
): Promise<FakeDriver> {
  const received: string[][] = [];
  const sockets = new Set<net.Socket>();
  const dump = (): string => {
    let out = "";
    for (const [name, v] of Object.entries(vars)) {
      out += `SETINFO ${name} ${quoteValue(v.value)}\n`;
      out += `SETFLAGS ${name}${v.rw ? " RW" : ""} ${v.maxLength ? "STRING" : "NUMBER"}\n`;
      if (v.maxLength) out += `SETAUX ${name} ${v.maxLength}\n`;
      for (const e of v.enum ?? []) out += `ADDENUM ${name} ${quoteValue(e)}\n`;
      for (const [lo, hi] of v.range ?? []) out += `ADDRANGE ${name} ${lo} ${hi}\n`;
    }
    for (const c of commands) out += `ADDCMD ${c}\n`;
    return out + "DATAOK\nDUMPDONE\n";
  };
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
    sock.on("error", () => {});
    let buf = "";
    sock.setEncoding("latin1");
    sock.on("data", (d: string) => {
      buf += d;
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const words = splitLine(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        const cmd = words[0]?.toUpperCase();
        if (cmd === "DUMPALL") sock.write(dump());
        else if (cmd === "PING") sock.write("PONG\n");
        else if (words.length > 0) received.push(words);
      }
    });
  });
  await rm(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
  // upsd runs as user nut and must be able to connect
  await chown(socketPath, 0, 0);
  await chmod(socketPath, 0o666);
  return {
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
