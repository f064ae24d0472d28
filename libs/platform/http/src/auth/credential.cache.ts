// A bounded, expiring memo of verified credentials (ADR 0030): the edge
// verifies a token's RS256 signature, or reads an API key's row, once and then
// serves the same credential from memory until it expires. A Map keeps
// insertion order, so re-inserting on a hit makes it least-recently-used.

export class CredentialCache<V> {
  private readonly entries = new Map<string, { readonly value: V; readonly expiresAt: number }>();

  /** `capacity` 0 disables the cache: nothing is stored, every lookup misses. */
  constructor(
    private readonly capacity: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The value while it is valid; an expired entry is dropped. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= this.now()) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Keeps `value` until `expiresAt` (epoch ms); the least recently used entry makes room. */
  set(key: string, value: V, expiresAt: number): void {
    if (this.capacity <= 0 || expiresAt <= this.now()) return;
    this.entries.delete(key);
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, expiresAt });
  }

  /** Forgets every entry whose value matches (e.g. all cached uses of a revoked API key). */
  deleteWhere(matches: (value: V) => boolean): void {
    for (const [key, entry] of this.entries) if (matches(entry.value)) this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
