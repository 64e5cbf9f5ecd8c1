import { describe, expect, it } from 'vitest';
import { loadConfig, redactConfig } from './config.js';
import { ConfigError } from './errors.js';

const HOOK = 'https://hooks.slack.com/services/T0/B0/secret-part';

describe('config: alerts', () => {
  it('has no targets by default (the pipeline does not run) and documented rule defaults', () => {
    const { alerts } = loadConfig({ env: {} });
    expect(alerts.targets).toEqual([]);
    expect(alerts.signalStrengths).toEqual(['STRONG']);
    expect(alerts.riskActions).toEqual(['trip', 'reset']);
    expect(alerts.riskRules).toContain('kill_switch');
  });

  it('takes targets from POLYFLOW_ALERTS_TARGETS and redacts their webhook URLs when printed', () => {
    const config = loadConfig({ env: { POLYFLOW_ALERTS_TARGETS: JSON.stringify([{ name: 'ops', kind: 'slack', webhookUrl: HOOK }]) } });
    expect(config.alerts.targets).toEqual([{ name: 'ops', kind: 'slack', webhookUrl: HOOK, minSeverity: 'info' }]);
    const printed = JSON.stringify(redactConfig(config));
    expect(printed).not.toContain('secret-part');
    expect(printed).toContain('"webhookUrl":"[redacted]"');
  });

  it('refuses bad targets without echoing the URL', () => {
    const bad = (targets: unknown) => () => loadConfig({ env: {}, overrides: { alerts: { targets } } });
    expect(bad([{ name: 'a', kind: 'teams', webhookUrl: HOOK }])).toThrow(ConfigError);
    expect(bad([{ name: 'a', kind: 'slack', webhookUrl: 'ftp://x/secret-part' }])).toThrow(/alerts\.targets\.0\.webhookUrl/);
    expect(bad([{ name: 'a', kind: 'slack', webhookUrl: HOOK }, { name: 'a', kind: 'generic', webhookUrl: HOOK }])).toThrow(/unique/);
    expect(() => loadConfig({ env: { POLYFLOW_ALERTS_TARGETS: `[{"webhookUrl":"${HOOK}"` } })).toThrow(/\[redacted\]/);
    try {
      bad([{ name: 'a', kind: 'slack', webhookUrl: 'ftp://x/secret-part' }])();
    } catch (err) {
      expect(String(err)).not.toContain('secret-part');
    }
  });
});
