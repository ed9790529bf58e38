import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HTTP_ROUTES, matchHttpRoute } from '#infra/functions.ts';
import { LOCAL_CLOCK_PATH } from '#infra/local/clock-endpoint.ts';
import { type SystemClockControl, systemClock, takeSystemClockControl } from '#shared/use-cases/ports/clock.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const HOUR = 3_600_000;

/** Files under `folder` (relative to the repository) whose text matches `pattern`. */
function filesMatching(folder: string, pattern: RegExp): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts') && pattern.test(readFileSync(path, 'utf8'))) found.push(relative(ROOT, path));
    }
  };
  walk(join(ROOT, folder));
  return found;
}

describe('the system clock', () => {
  let control: SystemClockControl | undefined;
  afterEach(() => control?.release());

  it('is the real clock while nobody moved it', () => {
    const before = Date.now();
    const now = systemClock.now().getTime();

    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('runs ahead by the offset the local mode sets, and back on the real clock once released', () => {
    control = takeSystemClockControl({});

    control.setOffset(2 * HOUR);
    const moved = systemClock.now().getTime() - Date.now();
    control.release();
    const released = systemClock.now().getTime() - Date.now();

    expect(moved).toBeGreaterThan(2 * HOUR - 1_000);
    expect(moved).toBeLessThanOrEqual(2 * HOUR);
    expect(released).toBeLessThanOrEqual(0);
    expect(released).toBeGreaterThan(-1_000);
  });

  it('only moves forward: an offset below the current one is refused and changes nothing', () => {
    control = takeSystemClockControl({});
    control.setOffset(2 * HOUR);

    expect(() => control?.setOffset(HOUR)).toThrow(/only moves forward/);
    expect(control.offsetMs).toBe(2 * HOUR);
  });

  it('cannot be moved in a Lambda runtime, whatever the code asks', () => {
    expect(() => takeSystemClockControl({ AWS_LAMBDA_FUNCTION_NAME: 'usage-reporter' })).toThrow(
      /cannot be moved in AWS \(AWS_LAMBDA_FUNCTION_NAME is set\)/,
    );
    expect(() => takeSystemClockControl({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' })).toThrow(/in AWS/);
    expect(systemClock.now().getTime() - Date.now()).toBeLessThanOrEqual(0);
  });

  it('has one holder at a time; a released control moves nothing any more', () => {
    control = takeSystemClockControl({});
    const first = control;

    expect(() => takeSystemClockControl({})).toThrow(/already moved by another local system/);
    first.release();
    control = takeSystemClockControl({});
    expect(() => first.setOffset(HOUR)).toThrow(/released/);
    expect(control.offsetMs).toBe(0);
  });

  it('is moved only by the local mode: nothing in functions/ or shared/ takes control of it', () => {
    const takers = [
      ...filesMatching('functions', /takeSystemClockControl/),
      ...filesMatching('shared', /takeSystemClockControl/),
    ];

    expect(takers).toEqual(['shared/use-cases/ports/clock.ts']);
    expect(filesMatching('infra', /takeSystemClockControl/)).toEqual(['infra/local/local-system.ts']);
  });

  it('has no route in AWS for its control endpoint: the local clock path is not one of the HTTP API routes', () => {
    expect(LOCAL_CLOCK_PATH).toBe('/_local/clock');
    expect(HTTP_ROUTES.filter((route) => route.path.startsWith('/_local'))).toEqual([]);
    // Nor does any route of the deployed API (a greedy one included) take the path.
    expect(matchHttpRoute('POST', LOCAL_CLOCK_PATH, HTTP_ROUTES)).toBeUndefined();
    expect(matchHttpRoute('GET', LOCAL_CLOCK_PATH, HTTP_ROUTES)).toBeUndefined();
  });
});
