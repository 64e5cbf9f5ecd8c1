/**
 * Where stateful operators expose their state for checkpoints, without doing any I/O: an operator
 * given a `StateSlot` attaches a getter when it is subscribed, and starts from the restored state
 * when the registry holds one for its id. The pipeline serializes `snapshot()` in one go (so objects
 * shared between operators, like the books a broker reads, stay shared) and stores it.
 */
export class StateRegistry {
  private readonly getters = new Map<string, () => unknown>();
  private readonly restored: Map<string, unknown>;

  /** `restored`: the states of a checkpoint by id, each handed out once. */
  constructor(restored?: ReadonlyMap<string, unknown>) {
    this.restored = new Map(restored ?? []);
  }

  /**
   * Registers `get` under `id` until `detach`, and returns the state restored for `id`, if any.
   * An id attached twice at once is a wiring bug (two operators would overwrite one checkpoint entry).
   */
  attach(id: string, get: () => unknown): { readonly restored: unknown; detach(): void } {
    if (this.getters.has(id)) throw new Error(`state id "${id}" is attached twice`);
    this.getters.set(id, get);
    const restored = this.restored.get(id);
    this.restored.delete(id);
    return {
      restored,
      detach: () => {
        if (this.getters.get(id) === get) this.getters.delete(id);
      },
    };
  }

  /** The live state of every attached operator, by id: serialize it before anything else runs. */
  snapshot(): Map<string, unknown> {
    const out = new Map<string, unknown>();
    for (const [id, get] of this.getters) out.set(id, get());
    return out;
  }

  /** Restored ids no operator claimed: the graph changed since the checkpoint. */
  unclaimed(): string[] {
    return [...this.restored.keys()];
  }
}

/** An operator's place in a registry. */
export interface StateSlot {
  readonly registry: StateRegistry;
  readonly id: string;
}

/** The slot `id` of `registry`, or undefined when state is not kept. */
export const stateSlot = (registry: StateRegistry | undefined, id: string): StateSlot | undefined =>
  registry === undefined ? undefined : { registry, id };
