# One image for every app; the container's command picks the app:
#   node dist/apps/<app>/src/main.js
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY . .
RUN node scripts/build.mjs && npm prune --omit=dev

FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 GRPC_HOST=0.0.0.0 GRPC_QUERIES_HOST=0.0.0.0 \
    PROCESSOR_HOST=0.0.0.0 PROJECTOR_HOST=0.0.0.0
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/proto ./proto
USER node
CMD ["node", "--enable-source-maps", "dist/apps/api/src/main.js"]
