export type { AppRouter } from './router.ts';
export { appRouter } from './router.ts';
export { loadConfig, type ServerConfig } from './config.ts';
export { startServer, type RunningServer } from './server.ts';
export { buildOpenApiDocument } from './openapi.ts';
