import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { ClockMoveError, type LocalClock, parseClockMove } from '#infra/local/local-clock.ts';
import type { LocalSchedules } from '#infra/local/scheduler.ts';

/**
 * Path of the local clock's control endpoint on the local HTTP API. It exists only in the local mode: it is not one of
 * `HTTP_ROUTES`, so API Gateway never has it (test/unit/system-clock.test.ts checks both).
 */
export const LOCAL_CLOCK_PATH = '/_local/clock';

const moveSchema = z.strictObject({ move: z.string().min(1) });

/**
 * `GET /_local/clock`: the local time, how far ahead of the real clock it is, and when each schedule runs next.
 * `POST /_local/clock` `{ "move": "+2h" | "2026-12-08T09:00:00Z" }`: moves the whole local system forward (see
 * `LocalClock.move`) and answers once the schedules that fell due have run. Both need the bootstrap publisher key
 * (`Authorization: Bearer <.local/bootstrap-key>`): the clock decides what is billed, so not every caller may move it.
 * Answers `undefined` (not handled) for other paths.
 */
export function localClockEndpoint(deps: { clock: LocalClock; schedules: LocalSchedules; bootstrapToken: string }) {
  const expected = Buffer.from(`Bearer ${deps.bootstrapToken}`);
  const authorized = (request: IncomingMessage) => {
    const presented = Buffer.from(request.headers.authorization?.trim() ?? '');
    return presented.length === expected.length && timingSafeEqual(presented, expected);
  };
  const state = () => ({
    now: deps.clock.now().toISOString(),
    offsetMs: deps.clock.offsetMs,
    schedules: deps.schedules.nextRuns(),
  });

  return async (request: IncomingMessage, response: ServerResponse, url: URL): Promise<boolean> => {
    if (url.pathname !== LOCAL_CLOCK_PATH) return false;
    const body = await readBody(request);
    if (!authorized(request)) {
      reply(response, 401, {
        message: 'Send the bootstrap publisher key: Authorization: Bearer $(cat .local/bootstrap-key)',
      });
      return true;
    }
    if (request.method === 'GET') {
      reply(response, 200, state());
      return true;
    }
    if (request.method !== 'POST') {
      reply(response, 405, { message: `${request.method} is not allowed here: GET reads the clock, POST moves it.` });
      return true;
    }
    try {
      const parsed = moveSchema.safeParse(safeJson(body));
      if (!parsed.success) {
        throw new ClockMoveError(
          400,
          'Send {"move": "+2h"} (a duration: w, d, h, m, s) or {"move": "<ISO 8601 instant>"}.',
        );
      }
      const moved = await deps.clock.move(parseClockMove(parsed.data.move, deps.clock.now()));
      reply(response, 200, { ...moved, ...state() });
    } catch (error) {
      if (!(error instanceof ClockMoveError)) throw error;
      reply(response, error.status, { message: error.message });
    }
    return true;
  };
}

/** A move is a few dozen bytes: anything much larger is not one, and is not kept in memory. */
const MAX_BODY_BYTES = 4096;

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  return size > MAX_BODY_BYTES ? '' : Buffer.concat(chunks).toString('utf8');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
