# devcrew's own processes for a team (docker-compose.temporal.yml: devcrew-api, devcrew-worker). The
# same image runs any of them; the command picks which: `api`, `worker --kind runs,agents,sandbox`,
# `git-server` (the artifact store's Git server: git http-backend, from Debian's git package).
# Configuration comes from the environment only (README, "Configuration").
FROM node:20-bookworm-slim

# git for the artifact store; Python with venv for the local model's server (devcrew model-server); the
# Docker CLI is not needed (workers talk to the engine's API directly).
RUN apt-get update \
  && apt-get install -y --no-install-recommends git ca-certificates python3 python3-venv python3-pip \
  && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/devcrew
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY . .

ENV DEVCREW_STATE_DIR=/var/lib/devcrew \
    DEVCREW_API_HOST=0.0.0.0 \
    DEVCREW_METRICS_HOST=0.0.0.0 \
    NODE_ENV=production
VOLUME ["/var/lib/devcrew"]
EXPOSE 3000 8418 9464

ENTRYPOINT ["node", "bin/devcrew.js"]
CMD ["api"]
