/**
 * A FIFO queue for the requests in flight on one connection (replies come back in request order).
 *
 * An array with a moving head and tail, compacted now and then, so that push and shift are O(1)
 * amortised even with thousands of pipelined requests. An emptied queue keeps its (small) array: a
 * connection with one request at a time, a monitor's steady poll, allocates nothing to queue it.
 * Knows nothing about requests or sockets.
 */

/** An emptied queue keeps an array of up to this many slots; a longer one (after a burst) is dropped. */
const KEPT_SLOTS = 64;

export class RequestQueue<T> {
  /** Slots `head` to `tail` hold the items; every other slot is undefined. */
  private items: (T | undefined)[] = [];
  private head = 0;
  private tail = 0;

  get length(): number {
    return this.tail - this.head;
  }

  push(item: T): void {
    if (this.tail < this.items.length) this.items[this.tail] = item;
    else this.items.push(item);
    this.tail++;
  }

  /** The item at position `i` (0 = oldest), without removing it. */
  at(i: number): T | undefined {
    return this.items[this.head + i];
  }

  /** The oldest item, without removing it. */
  peek(): T | undefined {
    return this.head < this.tail ? this.items[this.head] : undefined;
  }

  shift(): T | undefined {
    if (this.head >= this.tail) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head++;
    if (this.head === this.tail) {
      this.head = 0;
      this.tail = 0;
      if (this.items.length > KEPT_SLOTS) this.items = [];
    } else if (this.head >= 1024 && this.head * 2 >= this.tail) {
      this.items = this.items.slice(this.head, this.tail);
      this.tail -= this.head;
      this.head = 0;
    }
    return item;
  }

  /** Visit every item, oldest first. */
  forEach(fn: (item: T) => void): void {
    for (let i = this.head; i < this.tail; i++) fn(this.items[i] as T);
  }

  /** Remove and return every item, oldest first. */
  drain(): T[] {
    const out = this.items.slice(this.head, this.tail) as T[];
    this.items = [];
    this.head = 0;
    this.tail = 0;
    return out;
  }
}
