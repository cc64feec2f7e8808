# syntax=docker/dockerfile:1

# One image for every process (api, worker, reaper, migrate); compose picks the entry point.

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts are skipped: only dev-only packages have install hooks (e.g. cpu-features would
# try node-gyp), and the build needs nothing from them.
RUN npm ci --ignore-scripts

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY . .
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
# Read at runtime relative to /app (Lua scripts loaded into Redis, SQL migrations).
COPY lua ./lua
COPY drizzle ./drizzle
# Files stay root-owned so the unprivileged process cannot modify its own code.
USER node
EXPOSE 8080 9101 9102
CMD ["node", "dist/api/main.js"]
