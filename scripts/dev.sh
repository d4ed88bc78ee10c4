#!/usr/bin/env bash
# Runs ControlPlane locally: the pinned Azurite (data kept in .azurite/), a local fake of Azure OpenAI's Batch API
# (unless ControlPlane__AzureOpenAI__Endpoint names a real one) and the app on http://127.0.0.1:7071.
# Ctrl+C stops them all.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
PORT="${PORT:-7071}"

ensure_azurite
mkdir -p .azurite
if (echo >/dev/tcp/127.0.0.1/10002) 2>/dev/null; then
  echo "Storage already listens on 10000-10002; using it."
  STORAGE="UseDevelopmentStorage=true"
else
  start_azurite 10000 10001 10002 --location "$ROOT/.azurite"
fi
if [ -z "${ControlPlane__AzureOpenAI__Endpoint:-}" ]; then
  start_fake_azure_openai
fi
trap 'kill ${AZURITE_PID:-} ${FAKE_AOAI_PID:-} 2>/dev/null || true' EXIT

if [ -z "${ControlPlane__AdminKey:-}" ]; then
  [ -f .azurite/admin-key ] || node -e "console.log('cp-admin-'+require('crypto').randomBytes(24).toString('base64url'))" > .azurite/admin-key
  export ControlPlane__AdminKey="$(cat .azurite/admin-key)"
fi
export ControlPlane__Storage__ConnectionString="$STORAGE"

cat <<MSG

ControlPlane is starting on http://127.0.0.1:$PORT
  admin key : $ControlPlane__AdminKey
  OpenAPI   : http://127.0.0.1:$PORT/api/openapi.json
  batch     : deferrable requests go to $ControlPlane__AzureOpenAI__Endpoint at 02:00 UTC
              (POST /NightlyBatch with the admin key runs it now)
  try it    : curl -s http://127.0.0.1:$PORT/api/usage -H "x-api-key: $ControlPlane__AdminKey" -H 'content-type: application/json' \\
                -d '{"id":"hello-1","team":"search","feature":"answers","model":"gpt-4o-mini","inputTokens":1200,"cachedInputTokens":1000,"outputTokens":300}'
              curl -s "http://127.0.0.1:$PORT/api/costs?groupBy=feature" -H "x-api-key: $ControlPlane__AdminKey"

MSG
dotnet run --project src/ControlPlane.Functions -c Release -- --urls "http://127.0.0.1:$PORT"
