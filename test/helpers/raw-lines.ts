/**
 * Bare protocol lines over a socket for TLS tests and benches, independent of src/client: open a
 * plaintext connection, send one request and read its single reply line. Must not: be used for list
 * replies (it returns the first line only), or leave listeners behind.
 */
import net from "node:net";

/** Open a plaintext TCP connection to 127.0.0.1:`port`. */
export function connectPlain(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => resolve(socket)).once("error", reject);
  });
}

/** Send one request line (plain or TLS socket), resolve with the reply line without its LF. */
export function requestLine(socket: net.Socket, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const onData = (chunk: Buffer) => {
      text += chunk.toString("latin1");
      const end = text.indexOf("\n");
      if (end < 0) return;
      socket.off("data", onData).off("error", reject);
      resolve(text.slice(0, end));
    };
    socket.on("data", onData).once("error", reject);
    socket.write(`${line}\n`);
  });
}
