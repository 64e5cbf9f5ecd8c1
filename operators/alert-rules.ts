import { filter, map, pipe, type OperatorFunction } from 'rxjs';
import type { Alert } from '../schemas/alert.js';
import type { ArbitrageKind } from '../schemas/arbitrage-opportunity.js';
import type { RiskEvent, RiskRule } from '../schemas/risk-event.js';
import type { Strength } from '../schemas/signal.js';
import type { WhaleEvent } from '../schemas/whale-event.js';
import { alertOf, type AlertInput } from './alert-of.js';

/** Which events alert (config `alerts`): an event alerts when its strength / rule and action / kind is listed. */
export interface AlertRulesOptions {
  readonly signalStrengths: readonly Strength[];
  readonly fills: boolean;
  readonly riskRules: readonly RiskRule[];
  readonly riskActions: readonly RiskEvent['action'][];
  readonly arbitrageKinds: readonly ArbitrageKind[];
  readonly whaleKinds: readonly WhaleEvent['kind'][];
}

/** Whether `input` alerts under `rules`. */
export function alerts(rules: AlertRulesOptions, input: AlertInput): boolean {
  switch (input.kind) {
    case 'signal':
      return rules.signalStrengths.includes(input.signal.strength);
    case 'fill':
      return rules.fills;
    case 'risk':
      return rules.riskRules.includes(input.risk.rule) && rules.riskActions.includes(input.risk.action);
    case 'arbitrage':
      return rules.arbitrageKinds.includes(input.arbitrage.kind);
    case 'whale':
      return rules.whaleKinds.includes(input.whale.kind);
  }
}

/**
 * Events -> Alerts under the configured rules. Stateless: a redelivered event gives the same alert
 * (same id), so deduplication is the delivery's job, by that id.
 */
export function alertRules(rules: AlertRulesOptions): OperatorFunction<AlertInput, Alert> {
  return pipe(
    filter((input) => alerts(rules, input)),
    map(alertOf),
  );
}
