/**
 * Resolves with the first SIGINT or SIGTERM, and stops listening for either: the long-running
 * commands (proxy, recv, relay) shut down cleanly on it instead of dying mid-write.
 */
export function signalled(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
