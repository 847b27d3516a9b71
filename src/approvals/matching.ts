/**
 * Incremental maximum bipartite matching (Kuhn's augmenting paths) between approvers and required
 * approval slots. Adding approvers one by one and keeping only those that augment the matching
 * yields a maximum matching of all of them (transversal matroids are matroids), so the order in
 * which approvals arrive never blocks a route that the same people could satisfy.
 */
export class SlotMatching {
  /** slot index -> approver index */
  private readonly holder: (number | undefined)[];
  private readonly canFill: ((slot: number) => boolean)[] = [];

  /** `slotGroups[i]` is the group slot i requires (a requirement of count n gives n slots). */
  constructor(private readonly slotGroups: readonly string[]) {
    this.holder = slotGroups.map(() => undefined);
  }

  get size(): number {
    return this.holder.filter((h) => h !== undefined).length;
  }

  get complete(): boolean {
    return this.size === this.slotGroups.length;
  }

  /** Whether an approver with these groups would enlarge the matching (nothing changes). */
  wouldAugment(groups: readonly string[]): boolean {
    const snapshot = [...this.holder];
    const ok = this.add(groups);
    this.holder.splice(0, this.holder.length, ...snapshot);
    if (ok) this.canFill.pop();
    return ok;
  }

  /** Adds an approver if it enlarges the matching; returns whether it did. */
  add(groups: readonly string[]): boolean {
    const set = new Set(groups);
    const approver = this.canFill.length;
    this.canFill.push((slot) => set.has(this.slotGroups[slot]!));
    if (this.augment(approver, new Set())) return true;
    this.canFill.pop();
    return false;
  }

  /** Slot index -> index (in order of successful `add`) of the approver holding it. */
  assignment(): readonly (number | undefined)[] {
    return this.holder;
  }

  private augment(approver: number, visited: Set<number>): boolean {
    // A free slot first (the earliest), so nobody is moved without need: on ordered routes this
    // keeps each approver on the step they approved.
    for (let slot = 0; slot < this.slotGroups.length; slot++) {
      if (visited.has(slot) || this.holder[slot] !== undefined || !this.canFill[approver]!(slot)) continue;
      this.holder[slot] = approver;
      return true;
    }
    for (let slot = 0; slot < this.slotGroups.length; slot++) {
      if (visited.has(slot) || !this.canFill[approver]!(slot)) continue;
      visited.add(slot);
      const current = this.holder[slot];
      if (current === undefined || this.augment(current, visited)) {
        this.holder[slot] = approver;
        return true;
      }
    }
    return false;
  }
}
