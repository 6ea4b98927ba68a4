# syntax=docker/dockerfile:1
# All dependencies, plus Prisma's native engines (their download is an install script, which
# npm 11 does not run by default, so it is run explicitly here).
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# The download script exits 0 even when it fails, so the engine is checked for right here: a
# missing one would otherwise only surface later, at `prisma generate` or at migrate.
RUN npm ci --no-audit --no-fund \
  && node node_modules/@prisma/engines/scripts/postinstall.js \
  && if ! ls node_modules/@prisma/engines/schema-engine-* >/dev/null 2>&1; then \
       echo "Prisma's schema engine was not downloaded (is binaries.prisma.sh reachable from the build?)" >&2; \
       exit 1; \
     fi

# Generate the Prisma client and compile TypeScript. Also the image of the one-shot migrate
# service, which needs the Prisma CLI.
FROM deps AS build
COPY prisma ./prisma
COPY prisma.config.ts tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx prisma generate && npm run build

FROM node:24-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# Runtime: compiled code and production dependencies only, as an unprivileged user.
FROM node:24-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=prod-deps /app/package.json /app/package-lock.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
CMD ["node", "dist/main/api.js"]
