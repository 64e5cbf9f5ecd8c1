# The polyflow CLI for docker compose (the `polyflow` service). onnxruntime-node's CUDA download is
# skipped (its CPU binaries ship in the package); chDB's engine ships in @chdb/lib-linux-*-gnu.
FROM node:24-bookworm-slim AS build
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
# --ignore-scripts: `prepare` would build before the sources are copied; no install script is needed.
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production ONNXRUNTIME_NODE_INSTALL=skip
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/models/artifacts ./models/artifacts
COPY --from=build /app/schemas ./schemas
COPY --from=build /app/infra/clickhouse ./infra/clickhouse
# The state store's migrations: a replay keeps its state in PGlite under --out by default.
COPY --from=build /app/infra/postgres ./infra/postgres
COPY --from=build /app/data/sample ./data/sample
ENTRYPOINT ["node", "dist/bin/polyflow.js"]
CMD ["replay", "data/sample", "--out", "/data/out/sample", "--no-progress"]
