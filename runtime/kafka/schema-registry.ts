import { MockClient, SchemaRegistryClient, type Client } from '@confluentinc/schemaregistry';

/**
 * The schema registry client: Confluent's REST client at `url`, or, with no url, the library's
 * in-process MockClient (ids are per process: fine for one process and for tests, not for a
 * deployment of several processes, which needs SCHEMA_REGISTRY_URL).
 */
export function createSchemaRegistry(url: string): Client {
  if (url === '') return new MockClient({ baseURLs: ['mock://polyflow'] });
  return new SchemaRegistryClient({ baseURLs: [url] });
}

/** Subjects follow Confluent's TopicNameStrategy for values. */
export const valueSubject = (topic: string): string => `${topic}-value`;
