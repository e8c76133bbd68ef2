# seal-simulator as a container: an offline SIGNIUS SEAL batch API on port 8080, its SQLite
# database, packages and test PKI in the volume /data.
#
#   docker build -t seal-simulator .          (podman: podman build --format docker …; the default OCI
#                                              format drops HEALTHCHECK)
#   docker run -d -p 127.0.0.1:8080:8080 -v seal-data:/data seal-simulator
#
# Every setting is an environment variable (docker run … seal-simulator --help lists them).

# Node 24 LTS; the simulator also runs on Node 20.19 and later (package.json engines).
ARG NODE_IMAGE=node:24-slim

# ---- build: dev dependencies, TypeScript, then production dependencies only ------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 is a native addon. npm fetches its prebuilt binary where it can and otherwise
# compiles it, with python3, make, g++ and the Node headers the node image ships in
# /usr/local/include/node. The compilers stay in this stage.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN if [ -f /usr/local/include/node/node.h ]; then export npm_config_nodedir=/usr/local; fi \
 && npm ci --no-audit --no-fund --loglevel=warn
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# `npm run build` as everywhere: tsc, then the schema precompiler, which builds the app (and so
# reads the default processes file).
COPY scripts/precompile-schemas.mjs ./scripts/
COPY fixtures/processes.json ./fixtures/
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund --loglevel=warn \
 # Not needed to run: the addon's C sources and objects, pdf-lib's browser bundles and TS sources.
 && rm -rf node_modules/better-sqlite3/deps node_modules/better-sqlite3/src \
           node_modules/better-sqlite3/build/deps node_modules/better-sqlite3/build/Release/obj \
           node_modules/better-sqlite3/build/Release/obj.target node_modules/better-sqlite3/build/Release/.deps \
           node_modules/better-sqlite3/build/Release/test_extension.node node_modules/better-sqlite3/build/Release/*.a \
           node_modules/pdf-lib/dist node_modules/pdf-lib/es node_modules/pdf-lib/src node_modules/pdf-lib/ts3.4 \
 # and what is left still loads: the addon opens a database, the app's whole module graph imports
 && node -e "require('better-sqlite3')(':memory:').close(); require('pdf-lib')" \
 && node --input-type=module -e "await import('/app/dist/src/app.js'); await import('/app/dist/src/index.js')"

# ---- runtime: node, production dependencies, the compiled simulator ---------------------------
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    SEAL_SIM_DB=/data/seal-simulator.sqlite \
    SEAL_SIM_DATA_DIR=/data
WORKDIR /app
# Code is owned by root and only readable by the node user; /data is the node user's.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY fixtures/processes.json ./fixtures/processes.json
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 8080
# No curl in the image: a small script asks, with Node's own fetch, whether the store is writable.
# A script file in exec form needs no shell, so Docker and podman run it identically.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "dist/src/healthcheck.js"]
# node is PID 1 (exec form) and handles SIGTERM itself: it finishes requests in flight, lets the
# worker reach a safe point, closes SQLite and exits 0 within 8 s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/src/cli.js"]
