import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../src/config.ts';
import { nodeSupport } from '../src/node-version.ts';

/**
 * This machine has no Docker engine, so the container files are checked by reading them: the
 * compose file is parsed as YAML and its server settings are loaded as the server would load them,
 * and the Dockerfile's stages and copies are checked against the repository.
 */
const root = new URL('../../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

interface ComposeService {
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[]; interval?: string; timeout?: string; retries?: number };
  ports?: string[];
  stop_grace_period?: string;
}

const compose = parse(read('docker-compose.yml')) as { services: Record<string, ComposeService> };

const seconds = (duration: string | undefined) => Number(/^(\d+)s$/.exec(duration ?? '')?.[1] ?? Number.NaN);

describe('docker-compose.yml', () => {
  const { postgres, server } = compose.services;

  it('starts PostgreSQL and the server built from the Dockerfile', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['postgres', 'server']);
    expect(postgres?.image).toMatch(/^postgres:\d+/);
    expect(server?.build).toBe('.');
  });

  it('gives both services a healthcheck, and starts the server only once PostgreSQL is healthy', () => {
    for (const service of [postgres, server]) {
      expect(service?.healthcheck?.test?.length).toBeGreaterThan(0);
      expect(seconds(service?.healthcheck?.interval)).toBeGreaterThan(0);
      expect(seconds(service?.healthcheck?.timeout)).toBeGreaterThan(0);
      expect(service?.healthcheck?.retries).toBeGreaterThan(0);
    }
    expect(postgres?.healthcheck?.test?.join(' ')).toContain('pg_isready');
    expect(server?.healthcheck?.test?.join(' ')).toContain('/ready');
    expect(server?.depends_on?.postgres?.condition).toBe('service_healthy');
  });

  it('gives the server a production configuration the server itself accepts, aimed at the postgres service', () => {
    const environment = server?.environment ?? {};
    const { config } = loadConfig(environment);
    expect(config.production).toBe(true);
    expect(config.apiKeys.length).toBeGreaterThan(0);
    expect(config.webhookSecrets.length).toBeGreaterThan(0);
    const url = new URL(environment.DATABASE_URL ?? '');
    const pg = postgres?.environment ?? {};
    expect([url.hostname, url.username, url.password, url.pathname]).toEqual(['postgres', pg.POSTGRES_USER, pg.POSTGRES_PASSWORD, `/${pg.POSTGRES_DB}`]);
    expect(server?.ports).toContain(`${config.port}:${config.port}`);
  });

  it('lets the drain finish before Docker kills the server', () => {
    const { config } = loadConfig(server?.environment ?? {});
    expect(seconds(server?.stop_grace_period) * 1000).toBeGreaterThan(config.shutdownTimeoutMs);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile').replace(/\\\n\s*/g, ' ');
  const instructions = dockerfile
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages = instructions.filter((line) => line.startsWith('FROM '));
  const finalStage = instructions.slice(instructions.lastIndexOf(stages.at(-1) ?? ''));

  it('builds in stages and runs the server as an unprivileged user with a readiness healthcheck', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages.every((line) => / AS \w+$/.test(line))).toBe(true);
    expect(finalStage.find((line) => line.startsWith('USER '))).toBe('USER node');
    expect(finalStage.find((line) => line.startsWith('HEALTHCHECK '))).toContain('/ready');
    expect(finalStage.find((line) => line.startsWith('ENV '))).toContain('NODE_ENV=production');
    expect(finalStage.at(-1)).toBe('CMD ["node", "--import", "tsx", "src/main.ts"]');
  });

  it('builds on a Node.js line that is supported and not end-of-life', () => {
    for (const stage of stages) {
      const major = /^FROM node:(\d+)/.exec(stage)?.[1];
      expect(major, stage).toBeDefined();
      expect(nodeSupport(`v${major ?? ''}.0.0`, new Date()).status, stage).toBe('supported');
    }
  });

  it('copies only files that exist and that .dockerignore lets through', () => {
    const ignored = read('.dockerignore').split('\n').filter((line) => line.trim() !== '');
    const sources = instructions
      .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
      .flatMap((line) => line.split(/\s+/).slice(1, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(new URL(source, root)), source).toBe(true);
      expect(ignored.some((pattern) => source === pattern || source.startsWith(`${pattern}/`)), source).toBe(false);
    }
  });

  it('installs from the lockfile with every workspace package.json in place, production dependencies only', () => {
    const workspacePackages = ['packages', 'apps'].flatMap((folder) =>
      readdirSync(new URL(`${folder}/`, root)).map((name) => `${folder}/${name}/package.json`).filter((path) => existsSync(new URL(path, root))),
    );
    const copied = instructions.filter((line) => line.startsWith('COPY ')).join(' ');
    for (const path of workspacePackages) expect(copied, path).toContain(path);
    const install = instructions.find((line) => line.includes('pnpm install'));
    expect(install).toContain('--frozen-lockfile');
    expect(install).toContain('--prod');
  });
});
