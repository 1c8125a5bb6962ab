/**
 * A FIFO queue for the requests in flight on one connection (replies come back in request order).
 *
 * An array with a moving head, compacted now and then, so that push and shift are O(1) amortised
 * even with thousands of pipelined requests. Knows nothing about requests or sockets.
 */
export class RequestQueue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The item at position `i` (0 = oldest), without removing it. */
  at(i: number): T | undefined {
    return this.items[this.head + i];
  }

  /** The oldest item, without removing it. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Visit every item, oldest first. */
  forEach(fn: (item: T) => void): void {
    for (let i = this.head; i < this.items.length; i++) fn(this.items[i] as T);
  }

  /** Remove and return every item, oldest first. */
  drain(): T[] {
    const out = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return out;
  }
}
