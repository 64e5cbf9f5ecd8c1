import type { Admin } from 'kafkajs';
import type { ConsumingParts } from './consuming-parts.js';
import { INPUT_PROGRESS_STATE, type InputProgressState } from './input-progress.js';
import type { KafkaBusOptions } from './kafka-bus-options.js';
import type { LagProbe } from './lag-probe.js';
import { planRebuild } from './rebuild-plan.js';

/** What the hand-over needs of its bus: its consumer and admin, the batch in hand, and what to do when the operators start over. */
export interface HandoverHost {
  /** Resolves once the batch in hand is done (its offsets marked). */
  batchInHand(): Promise<void>;
  /** True for the (Kafka) topics the group's consumer reads. */
  consumed(kafkaTopic: string): boolean;
  /** True for a (Kafka) topic the process publishes and reads back itself (KafkaBusOptions.local). */
  local(kafkaTopic: string): boolean;
  admin(): Promise<Admin>;
  /** Moves a partition's fetch position. */
  seek(seek: { topic: string; partition: number; offset: string }): void;
  /** The lag of the assigned partitions (none without metrics). */
  lagProbe(): LagProbe | undefined;
  /** The operators were reset: they get the reference rows again, and the ids seen are forgotten. */
  startedOver(): void;
  /** The consuming side can go on no more: logged with `message`, and fatal. */
  fail(err: unknown, message: string): void;
}

export interface AssignmentHandoverOptions extends ConsumingParts {
  readonly bus: Pick<KafkaBusOptions, 'groupId' | 'rebuild' | 'fromBeginning' | 'metrics' | 'logger'>;
}

/**
 * What a KafkaBus's member does with each assignment its group gives it (GROUP_JOIN): offsets of
 * partitions it lost are another member's to commit; without `rebuild` the consumer goes on from
 * the committed offsets; with it, consumption is held until the operators' state is rebuilt for the
 * new assignment (DESIGN §4), or kept when the assignment did not change.
 */
export class AssignmentHandover {
  /** Assignments rebuilt for so far (with `rebuild`): a rebuild that a newer assignment overtook, before or after its plan was made, stops there. */
  private assignments = 0;
  private joinCount = 0;
  private assigning: Promise<void> = Promise.resolve();
  private activeFrom: number | undefined;

  constructor(
    private readonly host: HandoverHost,
    private readonly opts: AssignmentHandoverOptions,
  ) {}

  /** Group joins so far: a hand-over of merged records that a join overtook stops and marks nothing. */
  get joins(): number {
    return this.joinCount;
  }

  /** Since when (ms) the assignments have given this member topics (with `active-standby`: it is the active member); undefined: not now. */
  get activeSince(): number | undefined {
    return this.activeFrom;
  }

  /** Resolves once every assignment given so far is handled (kept, rebuilt, superseded, or failed). */
  handedOver(): Promise<void> {
    return this.assigning;
  }

  /** The group gave this member `assignment` (Kafka topic -> partitions). */
  joined(assignment: Record<string, number[]>): void {
    const { intake, markers, positions, bus } = this.opts;
    bus.metrics?.rebalances.inc();
    // Any topic in the assignment, even with no partitions yet (a topic not created when the group formed).
    const active = Object.keys(assignment).length > 0;
    this.activeFrom = active ? (this.activeFrom ?? Date.now()) : undefined;
    this.joinCount++;
    intake?.assigned(assignment);
    this.host.lagProbe()?.assigned(assignment);
    // Offsets of partitions another member owns now are its to commit.
    this.opts.marks.keepAssigned(assignment);
    if (bus.rebuild !== undefined) this.rebuildOnAssignment(assignment);
    else {
      // Without a rebuild the consumer goes on from the committed offsets: what waited in the merge comes again.
      intake?.clear();
      markers.forgetInput();
      positions.forget();
    }
  }

  /**
   * Holds consumption until the state of a new assignment is rebuilt: the operators are reset, and
   * every assigned partition is read again from its earliest retained offset, silently up to the
   * group's committed offset. Assignments are handled in order; a newer one supersedes an older one
   * that has not started.
   */
  private rebuildOnAssignment(assignment: Record<string, number[]>): void {
    const { holds, bus } = this.opts;
    const generation = ++this.assignments;
    holds.hold('assignment');
    this.assigning = this.assigning
      .then(async () => {
        // The batch in hand stops at its next record, commits what went through, and only then is the plan made.
        await this.host.batchInHand();
        if (generation !== this.assignments) return;
        // What waited in the merge is read again from the operators' positions (the seeks below).
        this.opts.intake?.clear();
        await this.commitAssigned(assignment);
        if (this.resumeUnchanged(assignment)) return;
        const plan = await planRebuild(await this.host.admin(), assignment, {
          groupId: bus.groupId ?? '',
          consumed: (kafkaTopic) => this.host.consumed(kafkaTopic),
          local: (kafkaTopic) => this.host.local(kafkaTopic),
          checkpoints: bus.rebuild?.checkpoints,
          fromBeginning: bus.fromBeginning === true,
          logger: bus.logger,
        });
        // A member that is stopping leaves the group: the new owner rebuilds.
        if (generation !== this.assignments || holds.has('stopping')) return;
        const restored = plan.restored === undefined ? undefined : new Map(plan.restored);
        const progress = restored?.get(INPUT_PROGRESS_STATE);
        restored?.delete(INPUT_PROGRESS_STATE);
        await bus.rebuild?.reset(restored);
        // The markers are read again from where the operators are, after what a checkpoint had seen of them.
        this.opts.markers.rebuilt(progress as InputProgressState | undefined);
        this.host.startedOver();
        this.opts.positions.rebuild(plan);
        for (const seek of plan.seeks) this.host.seek(seek);
        this.opts.checkpoints.restartInterval();
        bus.metrics?.rebuilds.inc();
        bus.logger?.info(
          { group: bus.groupId, partitions: plan.seeks.length, records: plan.records, from: plan.restored === undefined ? 'earliest retained offsets' : 'checkpoint' },
          'rebuilding operator state from the assigned partitions',
        );
        holds.release('assignment');
      })
      .catch((err: unknown) => this.host.fail(err, 'kafka bus: could not rebuild state on assignment (consumption stays held)'));
  }

  /**
   * Before a rebuild reads the group's committed offsets: marks of partitions still assigned are
   * committed once their outputs are acknowledged; marks of the others are dropped (their new owner
   * re-reads from the last committed offset, and its outputs carry the same ids).
   */
  private async commitAssigned(assignment: Record<string, number[]>): Promise<void> {
    this.opts.marks.keepAssigned(assignment);
    await this.opts.committer.commitAll();
  }

  /**
   * A rebalance that leaves this member the partitions it had (a standby or another member joined or
   * left): the operators keep their state and each partition resumes at the next record they have
   * not seen (the group's committed offset may be behind it). False when anything changed.
   */
  private resumeUnchanged(assignment: Record<string, number[]>): boolean {
    const { holds, bus } = this.opts;
    const seeks = this.opts.positions.resumeSeeks(
      Object.entries(assignment)
        .filter(([topic]) => this.host.consumed(topic))
        .flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition }))),
    );
    if (seeks === undefined || holds.has('stopping')) return false;
    for (const seek of seeks) this.host.seek(seek);
    bus.logger?.info({ group: bus.groupId, partitions: seeks.length }, 'assignment unchanged: operator state kept');
    holds.release('assignment');
    return true;
  }
}
