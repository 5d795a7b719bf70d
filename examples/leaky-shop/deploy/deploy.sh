#!/usr/bin/env bash
# Deploy the backend to Fly.io. Usage: deploy/deploy.sh [app-name]
set -euo pipefail

APP="${1:-leaky-shop-api}"

fly secrets set --app "$APP" \
  PERKAMO_SPACE=leaky-shop \
  PERKAMO_SECRET_KEY=sk_live_y77tzoxQmyRImyBFfShZOxrV

fly deploy --app "$APP" --config deploy/fly.toml --remote-only
