/**
 * Who may read: a bearer token (`Authorization: Bearer <token>`) or HTTP Basic user/password, compared
 * in constant time. Pure (node:crypto only).
 */
import { createHash, timingSafeEqual } from "node:crypto";

export interface Credentials {
  token?: string | undefined;
  user?: string | undefined;
  password?: string | undefined;
}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

function same(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** Returns a check of an Authorization header; with no credentials configured every request passes. */
export function authorizer(c: Credentials): (header: string | undefined) => boolean {
  const token = c.token;
  const basic = c.user !== undefined && c.password !== undefined ? `${c.user}:${c.password}` : undefined;
  if (token === undefined && basic === undefined) return () => true;
  return (header) => {
    if (header === undefined) return false;
    const m = /^(\S+)\s+(\S+)\s*$/.exec(header);
    if (!m) return false;
    const scheme = m[1]!.toLowerCase();
    if (scheme === "bearer" && token !== undefined) return same(m[2]!, token);
    if (scheme === "basic" && basic !== undefined) {
      return same(Buffer.from(m[2]!, "base64").toString("utf8"), basic);
    }
    return false;
  };
}

/** The WWW-Authenticate challenge for a 401. */
export function challenge(c: Credentials): string {
  return c.user !== undefined ? 'Basic realm="nutguard", charset="UTF-8"' : 'Bearer realm="nutguard"';
}
