import { afterEach, describe, expect, it, vi } from 'vitest';
import { logger, metrics } from '#shared/observability.ts';

describe('the metrics of the functions', () => {
  afterEach(() => vi.restoreAllMocks());

  it('publishes nothing and logs nothing for an invocation that counted nothing (no per-invocation noise)', () => {
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const output = vi.spyOn(console, 'log').mockImplementation(() => undefined);

    metrics.publishStoredMetrics();

    expect(warn).not.toHaveBeenCalled();
    expect(output).not.toHaveBeenCalled();
  });

  it('still passes Powertools’ other warnings to the structured logger', () => {
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);

    metrics.addDimension('', 'value');

    expect(warn).toHaveBeenCalledWith(expect.stringContaining("doesn't meet the requirements"));
  });
});
