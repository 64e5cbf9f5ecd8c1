import { BehaviorSubject, type Observable } from 'rxjs';
import type { Config } from './config.js';

/**
 * The config of a running process, replaceable while it runs: the API's settings updates land
 * here, and operators built with a `view` read the new values from their next input on (no
 * restart). A view's result keeps its identity until the config changes, so an operator resolves
 * its options once per change, not once per event. `version` counts changes (caches key on it).
 */
export class LiveSettings {
  private readonly subject: BehaviorSubject<Config>;
  private _version = 0;

  constructor(config: Config) {
    this.subject = new BehaviorSubject(config);
  }

  get config(): Config {
    return this.subject.value;
  }

  get version(): number {
    return this._version;
  }

  /** The current config, then every change. */
  get changes(): Observable<Config> {
    return this.subject.asObservable();
  }

  /** Replaces the config (already validated by the caller). */
  apply(config: Config): void {
    this._version++;
    this.subject.next(config);
  }

  /** A getter of `project(config)`, recomputed only after a change. */
  view<T>(project: (config: Config) => T): () => T {
    let seen: Config | undefined;
    let value: T | undefined;
    return () => {
      const config = this.subject.value;
      if (config !== seen) {
        value = project(config);
        seen = config;
      }
      return value as T;
    };
  }
}
