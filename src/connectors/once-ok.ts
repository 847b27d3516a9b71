/**
 * A value worth computing once per target (the journal ensured, the server's capabilities, its
 * command catalog): the first call makes it and later calls share it, but a failure is forgotten,
 * so that the next call tries again instead of failing forever on a target that came back.
 */
export class OnceOk<T> {
  private pending: Promise<T> | undefined;

  get(make: () => Promise<T>): Promise<T> {
    this.pending ??= make().catch((error: unknown) => {
      this.pending = undefined;
      throw error;
    });
    return this.pending;
  }
}
