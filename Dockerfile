# commcare-hq-mock as a service container.
#   docker build -t commcare-hq-mock .
#   docker run -p 8000:8000 -v hq-mock-data:/data commcare-hq-mock
# Offline builders pass a local base image: --build-arg NODE_VERSION=<major>.
ARG NODE_VERSION=22

# Build stage: full dependencies, compile src/ to dist/ and bundle the command
# (its warm-up start on the bundled seed leaves V8's code cache in dist/).
FROM node:${NODE_VERSION}-slim AS build
WORKDIR /app
# Dependencies first, so their layer is reused while only sources change.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs ./scripts/
COPY seed ./seed
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies, compiled code, seed, OpenAPI document.
FROM node:${NODE_VERSION}-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force \
  && mkdir -p /data && chown node:node /data
COPY seed ./seed
COPY openapi.yaml ./
COPY --from=build /app/dist ./dist

ENV HOST=0.0.0.0 PORT=8000 MOCK_DATA_DIR=/data
# A directory, not a file: writes go to a temporary file renamed inside it.
VOLUME /data
EXPOSE 8000
USER node

# Node's own fetch (no curl in the image); sends the admin token when one is set.
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 8000}/__mock/health`).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# Exec form: node is PID 1 and gets SIGTERM, closes gracefully (in-flight writes finish).
CMD ["node", "dist/cli.js"]
