/**
 * Whether a KafkaBus drops what its operators publish now: while the records they are handed only
 * rebuild state (the run before the assignment published what they derive). One per bus: the batch
 * consumption and the reference tables' replay set it, publish() and the record delivery read it.
 */
export class PublishMute {
  on = false;
}
