import type { PGlite } from '@electric-sql/pglite';

/** Extended-query messages that open (or continue) a sequence only Sync closes. */
const EXTENDED = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map((c) => c.charCodeAt(0)));
const SYNC = 'S'.charCodeAt(0);
const TERMINATE = 'X'.charCodeAt(0);
const SYNC_MESSAGE = new Uint8Array([SYNC, 0, 0, 0, 4]);

interface Item {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (err: unknown) => void;
}

/**
 * The queue that puts the embedded database's socket clients through PGlite,
 * one protocol message at a time, in place of pglite-socket's own
 * (QueryQueueManager, 0.2.17). That one keeps a client's messages together
 * only inside a transaction, so a lone statement's Parse, Bind, Execute and
 * Sync from one process could be split by another's, which then failed with
 * `portal "" does not exist`; and after a failed message it stopped serving
 * the queue. Here the client that sent the last message keeps PGlite while its
 * transaction or its extended-query sequence (up to Sync) is open, and a
 * failed message fails alone.
 */
export class SequencedQueryQueue {
  private readonly queue: Item[] = [];
  private processing = false;
  /** The client whose transaction or extended-query sequence is open, if any. */
  private owner: number | null = null;
  private midSequence = false;

  constructor(private readonly db: PGlite) {}

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ handlerId, message, onData, resolve, reject });
      void this.process();
    });
  }

  getQueueLength(): number {
    return this.queue.length;
  }

  /** A client went away: its waiting messages fail. */
  clearQueueForHandler(handlerId: number): void {
    for (let i = this.queue.length - 1; i >= 0; i -= 1) {
      if (this.queue[i]!.handlerId === handlerId) this.queue.splice(i, 1)[0]!.reject(new Error('The client disconnected.'));
    }
  }

  /** A client went away holding PGlite: end what it left open, and serve the others. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return;
    if (this.midSequence) await this.db.runExclusive(() => this.db.execProtocolRaw(SYNC_MESSAGE));
    if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
    this.owner = null;
    this.midSequence = false;
    await this.process();
  }

  private next(): Item | undefined {
    if (this.owner !== null && (this.midSequence || this.db.isInTransaction())) {
      // Only the owner's next message may go; until it arrives, everyone waits.
      const at = this.queue.findIndex((item) => item.handlerId === this.owner);
      return at === -1 ? undefined : this.queue.splice(at, 1)[0];
    }
    return this.queue.shift();
  }

  private async process(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      for (let item = this.next(); item; item = this.next()) {
        const type = item.message[0]!;
        this.owner = item.handlerId;
        if (EXTENDED.has(type)) this.midSequence = true;
        else if (type === SYNC || type === TERMINATE) this.midSequence = false;
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item.message, {
              onRawData: (data) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
        } catch (err) {
          item.reject(err);
          continue;
        }
        item.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  }
}
