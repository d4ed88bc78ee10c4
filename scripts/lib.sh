# Shared by the scripts: pinned Azurite from package.json, free ports, cleanup.
# shellcheck shell=bash
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
AZURITE_KEY="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

ensure_azurite() {
  if [ ! -x "$ROOT/node_modules/.bin/azurite" ]; then
    echo "Installing the pinned Azurite (npm ci)..." >&2
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error) >&2
  fi
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

wait_for_port() { # port, seconds
  local port=$1 deadline=$((SECONDS + ${2:-60}))
  until (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { echo "nothing listens on port $port after ${2:-60}s" >&2; return 1; }
    sleep 0.2
  done
}

# start_azurite <blob> <queue> <table> <extra args...>: starts in the background, sets AZURITE_PID and STORAGE.
start_azurite() {
  local blob=$1 queue=$2 table=$3; shift 3
  AZURITE_DIR="$(mktemp -d)"
  # Run from its own folder: Azurite writes an AzuriteConfig file into its working directory.
  (cd "$AZURITE_DIR" && exec "$ROOT/node_modules/.bin/azurite" --silent --skipApiVersionCheck --disableProductStyleUrl \
    --blobHost 127.0.0.1 --blobPort "$blob" --queueHost 127.0.0.1 --queuePort "$queue" \
    --tableHost 127.0.0.1 --tablePort "$table" "$@" >"$AZURITE_DIR/azurite.log" 2>&1) &
  AZURITE_PID=$!
  wait_for_port "$table" && wait_for_port "$queue" && wait_for_port "$blob"
  STORAGE="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$AZURITE_KEY;BlobEndpoint=http://127.0.0.1:$blob/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$queue/devstoreaccount1;TableEndpoint=http://127.0.0.1:$table/devstoreaccount1;"
}

# start_fake_azure_openai: the local Azure OpenAI fake (Files + Batches) in the background; sets FAKE_AOAI_PID and
# exports ControlPlane__AzureOpenAI__Endpoint / __ApiKey so the app's nightly batch runs against it.
start_fake_azure_openai() {
  local out
  out="$(mktemp)"
  dotnet build "$ROOT/tests/ControlPlane.LocalFakes" -c Release --nologo -v quiet >/dev/null
  dotnet run --project "$ROOT/tests/ControlPlane.LocalFakes" -c Release --no-build -- azure-openai >"$out" 2>&1 &
  FAKE_AOAI_PID=$!
  local deadline=$((SECONDS + 60))
  until grep -q '^AZURE_OPENAI_API_KEY=' "$out"; do
    [ $SECONDS -lt $deadline ] || { echo "the fake Azure OpenAI did not start:" >&2; cat "$out" >&2; return 1; }
    sleep 0.2
  done
  export ControlPlane__AzureOpenAI__Endpoint="$(sed -n 's/^AZURE_OPENAI_ENDPOINT=//p' "$out")"
  export ControlPlane__AzureOpenAI__ApiKey="$(sed -n 's/^AZURE_OPENAI_API_KEY=//p' "$out")"
}
