/**
 * Which connection a poll goes out on: the polls of every UPS one upsd serves share one connection
 * (the server's carrier), so a round costs one write and a read or two per server instead of one
 * round trip per UPS (issue 16).
 *
 * Each MONITOR line still keeps its own logged-in connection (ups-link-nut.ts): upsd's LOGIN is one
 * UPS per connection, and NUMLOGINS, PRIMARY and FSD rest on it. A poll needs no login (`GET VAR`
 * answers any client), so the round's `GET VAR`s of all a server's UPSes are written together on the
 * connection of one of them: the first member, in MONITOR order, whose own connection is up. The
 * others' connections stay logged in and idle apart from the link's keep-alive. A link whose own
 * connection is down is not polled through another's: its poll waits for its own connection and fails
 * as upsmon's would, so a UPS whose LOGIN connection is down is never reported as polled fine.
 *
 * One registry per monitor (compose-monitor.ts makes it), never shared between monitors: a carrier
 * closed by one monitor must not fail another's polls. Members are grouped by `host:port` as written in
 * MONITOR. Only this module changes the groups. No I/O: members report whether they can carry.
 */

/** A link that can carry its server's polls while its own connection is up. */
export interface PollCarrierMember {
  /** `host:port`: members with the same key share a carrier. */
  readonly server: string;
  /** Whether its own connection is up and may carry pipelined polls now. */
  canCarry(): boolean;
}

export class PollCarriers<M extends PollCarrierMember = PollCarrierMember> {
  private readonly groups = new Map<string, M[]>();

  join(member: M): void {
    let group = this.groups.get(member.server);
    if (group === undefined) {
      group = [];
      this.groups.set(member.server, group);
    }
    if (!group.includes(member)) group.push(member);
  }

  /** A link closed (a reload dropped its MONITOR line, or the monitor stops). */
  leave(member: M): void {
    const group = this.groups.get(member.server);
    if (group === undefined) return;
    const i = group.indexOf(member);
    if (i >= 0) group.splice(i, 1);
    if (group.length === 0) this.groups.delete(member.server);
  }

  /**
   * The member whose connection carries `member`'s poll: the first of its server's members that can
   * carry now; `member` itself when none before it can (or it is in no group).
   */
  carrierFor(member: M): M {
    const group = this.groups.get(member.server);
    if (group !== undefined) {
      for (let i = 0; i < group.length; i++) {
        const m = group[i]!;
        if (m === member) return member;
        if (m.canCarry()) return m;
      }
    }
    return member;
  }
}
