import type { UsageBatcher } from './usage-batcher.ts';

export interface CloseOnShutdownOptions {
  /** Signals after which the batcher is closed before the process ends (default SIGTERM and SIGINT). */
  readonly signals?: readonly NodeJS.Signals[];
  /** Called if closing fails, before the process ends anyway. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Opt-in: closes `batcher` (sending everything it holds) when the process is asked to stop, and when its event loop
 * runs out of work (`beforeExit`) while events are still held. After a signal, once closed, the signal is raised again
 * with this handler removed, so the process ends as it would have. Containers and Lambda extensions send SIGTERM and
 * wait a grace period: keep `retry.maxElapsedMs` below it if every event must be answered before the kill.
 * Not installed by default: an app with its own shutdown sequence calls `batcher.close()` itself.
 * Returns a function that removes the handlers.
 */
export function closeOnShutdown(batcher: UsageBatcher, options: CloseOnShutdownOptions = {}): () => void {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const onSignal = (signal: NodeJS.Signals) => {
    uninstall();
    batcher
      .close()
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => process.kill(process.pid, signal));
  };
  const onBeforeExit = () => {
    // Closing sends requests, which keeps the process alive until they are answered.
    if (!batcher.closed || batcher.stats().buffered > 0) void batcher.close().catch(options.onError);
  };
  const uninstall = () => {
    for (const signal of signals) process.off(signal, onSignal);
    process.off('beforeExit', onBeforeExit);
  };
  for (const signal of signals) process.once(signal, onSignal);
  process.on('beforeExit', onBeforeExit);
  return uninstall;
}
