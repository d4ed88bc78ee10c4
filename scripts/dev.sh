#!/usr/bin/env bash
# Runs ControlPlane locally: the pinned Azurite (data kept in .azurite/), a local fake of Azure OpenAI's Batch API
# (unless ControlPlane__AzureOpenAI__Endpoint names a real one) and the app on http://127.0.0.1:7071.
# Ctrl+C (or a TERM) stops everything it started.
# Overrides: PORT (app, 7071), AZURITE_BLOB_PORT / AZURITE_QUEUE_PORT / AZURITE_TABLE_PORT (10000-10002) and
# CONTROLPLANE_DEV_DATA (Azurite's data and the generated admin key, .azurite/).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
PORT="${PORT:-7071}"
BLOB_PORT="${AZURITE_BLOB_PORT:-10000}" QUEUE_PORT="${AZURITE_QUEUE_PORT:-10001}" TABLE_PORT="${AZURITE_TABLE_PORT:-10002}"
DATA="${CONTROLPLANE_DEV_DATA:-$ROOT/.azurite}"
install_cleanup_traps

ensure_azurite
mkdir -p "$DATA"
if (echo >"/dev/tcp/127.0.0.1/$TABLE_PORT") 2>/dev/null; then
  echo "Storage already listens on $BLOB_PORT-$TABLE_PORT; using it."
  STORAGE="$(azurite_connection_string "$BLOB_PORT" "$QUEUE_PORT" "$TABLE_PORT")"
else
  start_azurite "$BLOB_PORT" "$QUEUE_PORT" "$TABLE_PORT" --location "$DATA"
fi
if [ -z "${ControlPlane__AzureOpenAI__Endpoint:-}" ]; then
  start_fake_azure_openai
fi

if [ -z "${ControlPlane__AdminKey:-}" ]; then
  [ -f "$DATA/admin-key" ] || node -e "console.log('cp-admin-'+require('crypto').randomBytes(24).toString('base64url'))" > "$DATA/admin-key"
  ControlPlane__AdminKey="$(cat "$DATA/admin-key")"
  export ControlPlane__AdminKey
fi
export ControlPlane__Storage__ConnectionString="$STORAGE"
# Local-friendly batch: poll the provider every few seconds instead of every few minutes.
export ControlPlane__Batch__PollInterval="${ControlPlane__Batch__PollInterval:-00:00:05}"
export ControlPlane__Batch__Schedule="${ControlPlane__Batch__Schedule:-0 0 2 * * *}"

echo "Building and starting ControlPlane ($(basename "$APP_PROJECT"))..."
start_app "$PORT"
cat <<MSG

ControlPlane is starting on http://127.0.0.1:$PORT
  admin key : $ControlPlane__AdminKey
  dashboard : http://127.0.0.1:$PORT/  (sign in with a key)
  API docs  : http://127.0.0.1:$PORT/api/docs  (OpenAPI: /api/openapi.json)
  batch     : deferrable requests go to $ControlPlane__AzureOpenAI__Endpoint at 02:00 UTC
              (ControlPlane__Batch__Schedule), polled every $ControlPlane__Batch__PollInterval; to run tonight's batch now:
              curl -X POST -H "x-api-key: $ControlPlane__AdminKey" http://127.0.0.1:$PORT/api/orchestrations/nightly-batch/start
  try it    : curl -s http://127.0.0.1:$PORT/api/usage -H "x-api-key: $ControlPlane__AdminKey" -H 'content-type: application/json' \\
                -d '{"id":"hello-1","team":"search","feature":"answers","model":"gpt-4o-mini","inputTokens":1200,"cachedInputTokens":1000,"outputTokens":300}'
              curl -s "http://127.0.0.1:$PORT/api/costs?groupBy=feature" -H "x-api-key: $ControlPlane__AdminKey"
  stop      : Ctrl+C

MSG
# `wait` (not a foreground child) so Ctrl+C and TERM run the traps at once.
wait "$APP_PID"
