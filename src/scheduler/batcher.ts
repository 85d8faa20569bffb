/**
 * Gathers writes made close together into one statement: the first `submit` schedules a flush
 * for the next turn of the event loop, and whatever is submitted while a flush runs goes into
 * the next one. One flush at a time per batcher, so a worker's writes never queue on each other's
 * row locks. A failed flush rejects every submit in it; each caller retries on its own
 * (worker.ts persist), and the retries batch again.
 */
export class Batcher<In, Out> {
  private queued: { item: In; resolve: (out: Out) => void; reject: (error: unknown) => void }[] = [];
  private flushing = false;

  /** `write` answers one result per item, in order. */
  constructor(
    private readonly write: (items: In[]) => Promise<Out[]>,
    private readonly maxBatch = 256,
  ) {}

  submit(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queued.push({ item, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.queued.length > 0) {
      const batch = this.queued.splice(0, this.maxBatch);
      try {
        const results = await this.write(batch.map((b) => b.item));
        for (const [i, b] of batch.entries()) b.resolve(results[i] as Out);
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
    }
    this.flushing = false;
  }
}
