/**
 * kafkajs's internal modules, for the drop-ins that replace parts of them (the fast codec, the
 * request queue's check). They were written against one release: on any other they change nothing.
 */
import { createRequire } from 'node:module';

/** Loads a kafkajs module by its path inside the package (`kafkajs/src/...`). */
export const requireKafkajs = createRequire(import.meta.url);

/** The release the drop-ins were written and tested against (package.json pins it exactly). */
export const PATCHED_VERSION = '2.2.4';

export const isPatchedKafkajs = (): boolean => (requireKafkajs('kafkajs/package.json') as { version: string }).version === PATCHED_VERSION;
