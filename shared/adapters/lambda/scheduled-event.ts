import * as z from 'zod';

/**
 * What EventBridge Scheduler (AWS) or the local scheduler delivers. Parsed leniently and otherwise ignored: the run
 * reports every closed hour by the clock, whichever invocation it is (Scheduler delivers at least once, late
 * invocations catch up, and a duplicate invocation is harmless because every write is conditional). `schedule` names
 * the schedule that fired (the stack's target input, the local scheduler's event): the run notes it
 * (record-scheduled-run.ts).
 */
export const scheduledEventSchema = z.union([
  z.looseObject({
    schedule: z.string().min(1).optional(),
    id: z.string().optional(),
    time: z.iso.datetime({ offset: true }).optional(),
    source: z.string().optional(),
    'detail-type': z.string().optional(),
  }),
  z.null(),
  z.undefined(),
]);
export type ScheduledEvent = z.infer<typeof scheduledEventSchema>;
