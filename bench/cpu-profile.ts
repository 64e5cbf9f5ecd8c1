// Where a benchmark's time goes: a V8 CPU profile of one section of this process (node:inspector),
// summarised as self time per component (kafkajs, Avro, RxJS, operators, GC, idle, ...).
import { writeFileSync } from 'node:fs';
import type { Profiler } from 'node:inspector';
import { Session } from 'node:inspector/promises';

/** Self time (ms) per component of one profiled section, largest first. */
export type SelfTime = ReadonlyArray<{ readonly component: string; readonly ms: number; readonly share: number }>;

/** Runs `section` under the CPU profiler; writes the `.cpuprofile` (for Chrome DevTools) when `file` is given. */
export async function profiled<T>(section: () => Promise<T>, file?: string): Promise<{ result: T; selfTime: SelfTime }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 500 });
    await session.post('Profiler.start');
    const result = await section();
    const { profile } = await session.post('Profiler.stop');
    if (file !== undefined) writeFileSync(file, JSON.stringify(profile));
    return { result, selfTime: selfTimeByComponent(profile) };
  } finally {
    session.disconnect();
  }
}

/**
 * What a profile node's code belongs to, from its script URL and function name; `undefined` for
 * native code without a script (builtins, socket writes), which counts for its caller.
 */
function componentOf(frame: Profiler.ProfileNode['callFrame']): string | undefined {
  const { url, functionName } = frame;
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(idle)') return 'idle (waiting for the broker)';
  if (functionName === '(program)') return 'V8/native (program)';
  if (functionName === '(root)') return 'V8/native (root)';
  const packages: ReadonlyArray<readonly [string, string]> = [
    ['/node_modules/kafkajs/', 'kafkajs (protocol, fetch, produce, commit)'],
    ['/node_modules/avsc/', 'avsc (Avro encode/decode)'],
    ['/node_modules/@confluentinc/', 'schemaregistry AvroSerializer (schema lookups)'],
    ['/node_modules/json-stringify-deterministic/', 'schemaregistry AvroSerializer (schema lookups)'],
    ['/node_modules/rxjs/', 'rxjs'],
    ['/node_modules/onnxruntime', 'onnxruntime'],
    ['/node_modules/prom-client/', 'prom-client'],
    ['/node_modules/pino', 'pino'],
    ['/runtime/kafka/', 'polyflow KafkaBus + serde glue'],
    ['/operators/', 'polyflow operators'],
    ['/models/', 'polyflow models (scorer)'],
    ['/schemas/', 'polyflow schemas (Avro mapping)'],
    ['/bench/', 'benchmark harness'],
  ];
  for (const [part, name] of packages) if (url.includes(part)) return name;
  if (url === 'node:inspector') return 'profiler';
  if (url.startsWith('node:')) return 'node core (socket writes, buffers, timers)';
  if (url === '') return undefined;
  if (url.includes('/node_modules/')) return 'other packages';
  return 'polyflow other';
}

function selfTimeByComponent(profile: Profiler.Profile): SelfTime {
  const parent = new Map<number, Profiler.ProfileNode>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node);
  const byNode = new Map<number, string>();
  for (const node of profile.nodes) {
    let component: string | undefined;
    for (let n: Profiler.ProfileNode | undefined = node; component === undefined && n !== undefined; n = parent.get(n.id)) component = componentOf(n.callFrame);
    byNode.set(node.id, component ?? 'V8/native (builtins)');
  }
  const ms = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const component = byNode.get(samples[i] ?? -1) ?? 'unknown';
    // Stopping the profiler (serialising the profile) is not the section's work.
    if (component === 'profiler') continue;
    ms.set(component, (ms.get(component) ?? 0) + (deltas[i] ?? 0) / 1000);
  }
  const total = [...ms.values()].reduce((a, b) => a + b, 0);
  return [...ms]
    .map(([component, t]) => ({ component, ms: Math.round(t), share: total > 0 ? Math.round((t / total) * 1000) / 1000 : 0 }))
    .sort((a, b) => b.ms - a.ms);
}
