import type { ControlledTransaction, Kysely } from 'kysely';
import type { Database } from './database.js';

type AfterCommit = () => void | Promise<void>;

/**
 * One per request. Reads run on the pool until something writes; the first write opens the
 * transaction, and from then on reads go through it too, so a mutation's response sees its
 * own uncommitted rows. The edge commits once when the operation ends, or rolls back.
 */
export class UnitOfWork {
  #transaction: Promise<ControlledTransaction<Database>> | undefined;
  #open: ControlledTransaction<Database> | undefined;
  #afterCommit: AfterCommit[] = [];
  #finished = false;
  #end!: () => void;
  /** Settles once the unit of work has committed or rolled back, however that went. */
  readonly ended: Promise<void> = new Promise((resolve) => (this.#end = resolve));

  constructor(private readonly db: Kysely<Database>) {}

  /** The executor for reads: the open transaction if there is one, else the pool. */
  get reader(): Kysely<Database> {
    return this.#open ?? this.db;
  }

  /** The transaction for writes, begun on first use. */
  async writer(): Promise<ControlledTransaction<Database>> {
    if (this.#finished) throw new Error('UnitOfWork already finished');
    this.#transaction ??= this.db.startTransaction().execute().then((trx) => (this.#open = trx));
    return this.#transaction;
  }

  /** Runs `effect` only if and after the transaction commits (events must never announce rolled-back rows). */
  afterCommit(effect: AfterCommit): void {
    this.#afterCommit.push(effect);
  }

  get hasWrites(): boolean {
    return this.#transaction !== undefined;
  }

  async commit(): Promise<void> {
    this.#finished = true;
    if (this.#transaction) await (await this.#transaction).commit().execute().finally(this.#end);
    else this.#end();
    const effects = this.#afterCommit.splice(0);
    for (const effect of effects) await effect();
  }

  async rollback(): Promise<void> {
    this.#finished = true;
    this.#afterCommit = [];
    if (this.#transaction) await (await this.#transaction).rollback().execute().finally(this.#end);
    else this.#end();
  }
}
