import { merge, map, type Subscription } from 'rxjs';
import type { JsonlFiles } from '../sinks/jsonl-files.js';
import type { Bus } from '../runtime/bus.js';
import { TOPICS, type TopicName } from '../schemas/topics.js';
import { InputError } from '../runtime/errors.js';

/** persist (embedded form): the configured topics -> `<out>/<topic>.jsonl`, one line per record, in publish order. */
export function persistPipeline(bus: Bus, topics: readonly string[], files: JsonlFiles): Subscription {
  const names = topics.map((t): TopicName => {
    if (!(t in TOPICS)) throw new InputError(`output.topics: unknown topic "${t}" (known: ${Object.keys(TOPICS).join(', ')})`);
    return t as TopicName;
  });
  for (const name of names) files.touch(name);
  return merge(...names.map((name) => bus.topic(name).pipe(map((record) => ({ name, record }))))).subscribe(({ name, record }) =>
    files.write(name, record),
  );
}
