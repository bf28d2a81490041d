# restaurant-ledger server. Build: docker build -t restaurant-ledger .
FROM node:20-bookworm-slim AS deps
WORKDIR /app
RUN npm i -g pnpm@12
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml tsconfig.base.json ./
COPY patches ./patches
COPY packages/core/package.json packages/core/
COPY packages/client/package.json packages/client/
COPY apps/server/package.json apps/server/
RUN pnpm install --frozen-lockfile --filter @restaurant-ledger/server...

FROM node:20-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production PORT=3000
COPY --from=deps /app ./
COPY packages/core/src packages/core/src
COPY apps/server/src apps/server/src
WORKDIR /app/apps/server
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--import", "tsx", "src/main.ts"]
