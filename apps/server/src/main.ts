import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { nodeSupport } from './node-version.ts';
import { startServer } from './server.ts';

const logger = createLogger();

async function main(): Promise<void> {
  const node = nodeSupport(process.version, new Date());
  // Two different warnings: an end-of-life line is one we test on; an unsupported one is untested.
  if (node.status !== 'supported') logger.warn({ node_version: process.version, node_support: node.status }, node.message);
  const { config, warnings } = loadConfig(process.env);
  for (const warning of warnings) logger.warn(warning);
  const running = await startServer(config, logger);
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal means "now": skip the drain.
      logger.warn({ signal }, 'second signal: exiting without draining');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, timeout_ms: config.shutdownTimeoutMs }, 'shutting down: draining requests in flight');
    try {
      await running.close();
      logger.info('stopped');
      process.exit(0);
    } catch (error) {
      logger.fatal({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', (signal) => void stop(signal));
  process.on('SIGINT', (signal) => void stop(signal));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) logger.fatal(error.message);
  else logger.fatal({ err: error }, 'failed to start');
  process.exit(1);
});
