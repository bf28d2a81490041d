import cluster from 'node:cluster';
import type { Logger } from 'pino';
import { onShutdownRequest, shareMetricsWithPrimary, startClusterPrimary, workerSlot } from './cluster.ts';
import { ConfigError, loadConfig, type ServerConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { nodeSupport } from './node-version.ts';
import { type RunningServer, startServer } from './server.ts';

const slot = workerSlot();
// A worker's every line (its requests' included) says which worker wrote it.
const logger = slot === undefined ? createLogger() : createLogger().child({ worker: slot });

async function main(): Promise<void> {
  const { config, warnings } = loadConfig(process.env);
  if (cluster.isWorker) {
    // Migrations ran in the primary, before it forked this worker.
    const running = await startServer(config, logger, { migrate: false, shareMetrics: shareMetricsWithPrimary });
    const stop = stopOnSignals(running, config);
    // The primary's request to drain: not a signal, so it never counts as a second one.
    onShutdownRequest(() => void stop('primary'));
    return;
  }
  const node = nodeSupport(process.version, new Date());
  // Two different warnings: an end-of-life line is one we test on; an unsupported one is untested.
  if (node.status !== 'supported') logger.warn({ node_version: process.version, node_support: node.status }, node.message);
  for (const warning of warnings) logger.warn(warning);
  if (config.workers === 1) {
    stopOnSignals(await startServer(config, logger), config);
    return;
  }
  const primary = await startClusterPrimary(config, logger);
  onSignals(logger, {
    drain: async (signal) => {
      logger.info({ signal, workers: config.workers }, 'shutting down: every worker drains its requests in flight');
      const code = await primary.stop();
      logger.info({ code }, 'stopped');
      process.exit(code);
    },
    now: () => primary.kill(),
  });
}

/** SIGTERM or SIGINT drains the server and exits; returns the drain, for other ways to ask for it. */
function stopOnSignals(running: RunningServer, config: ServerConfig): (signal: NodeJS.Signals | 'primary') => Promise<void> {
  return onSignals(logger, {
    drain: async (signal) => {
      logger.info({ signal, timeout_ms: config.shutdownTimeoutMs }, 'shutting down: draining requests in flight');
      try {
        await running.close();
        logger.info('stopped');
        process.exit(0);
      } catch (error) {
        logger.fatal({ err: error }, 'shutdown failed');
        process.exit(1);
      }
    },
  });
}

/**
 * The first SIGTERM or SIGINT runs `drain` (which exits); a second one means "now": `now` runs and
 * the process exits without draining. The returned function starts the drain as a signal would.
 */
function onSignals(
  log: Logger,
  handlers: { drain(signal: NodeJS.Signals | 'primary'): Promise<void>; now?(): void },
): (signal: NodeJS.Signals | 'primary') => Promise<void> {
  let stopping = false;
  const start = async (signal: NodeJS.Signals | 'primary'): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await handlers.drain(signal);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without draining');
      handlers.now?.();
      process.exit(1);
    }
    void start(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return start;
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) logger.fatal(error.message);
  else logger.fatal({ err: error }, 'failed to start');
  process.exit(1);
});
