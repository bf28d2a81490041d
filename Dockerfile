# restaurant-ledger server. Build: docker build -t restaurant-ledger .   Run: see docker-compose.yml
# Three stages: `deps` installs the server's production dependencies from the lockfile; `console`
# builds the ops console's static files; `runtime` adds only the source the server runs (TypeScript,
# run by tsx: there is no build step to drift) and the console's built files.

FROM node:24-bookworm-slim AS deps
WORKDIR /app
RUN npm i -g pnpm@12
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml tsconfig.base.json ./
# Every workspace package.json, so the install sees the workspace the lockfile was written for.
COPY packages/core/package.json packages/core/
COPY packages/client/package.json packages/client/
COPY packages/cli/package.json packages/cli/
COPY apps/server/package.json apps/server/
COPY apps/console/package.json apps/console/
RUN pnpm install --frozen-lockfile --prod --filter @restaurant-ledger/server...

# The ops console (/console) is static files: built here with its dev dependencies (vite), and only
# the built files go on to the runtime stage.
FROM node:24-bookworm-slim AS console
WORKDIR /app
RUN npm i -g pnpm@12
COPY --from=deps /app ./
COPY apps/console apps/console
RUN pnpm install --frozen-lockfile --ignore-scripts --filter @restaurant-ledger/console \
  && pnpm --filter @restaurant-ledger/console build

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production PORT=3000
WORKDIR /app
COPY --from=deps /app ./
COPY packages/core/src packages/core/src
COPY apps/server/src apps/server/src
COPY --from=console /app/apps/console/dist apps/console/dist
WORKDIR /app/apps/server
USER node
EXPOSE 3000
# The server drains requests in flight on SIGTERM (LEDGER_SHUTDOWN_TIMEOUT_MS, default 10 s).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.PORT+'/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--import", "tsx", "src/main.ts"]
