// Just enough of the `unix-dgram` addon (CommonJS, no bundled types) for sd-notify.ts.
declare module "unix-dgram" {
  export interface UnixDgramSocket {
    send(buf: Buffer, offset: number, length: number, path: string, cb: (err?: Error) => void): void;
    bind(path: string): void;
    close(): void;
    on(event: "error", listener: (err: Error) => void): void;
    on(event: "message", listener: (buf: Buffer) => void): void;
  }
  export function createSocket(type: "unix_dgram"): UnixDgramSocket;
}
