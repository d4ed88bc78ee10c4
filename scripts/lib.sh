# Shared by the scripts: pinned Azurite from package.json, free ports, the app and the fakes, cleanup.
# shellcheck shell=bash
# shellcheck disable=SC2034 # the functions set AZURITE_PID, STORAGE, APP_PID, ... for the scripts that source this file
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
AZURITE_KEY="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
# The project the scripts build and start; the one place that names it.
APP_PROJECT="$ROOT/src/ControlPlane.Standalone"
FAKES_PROJECT="$ROOT/tests/ControlPlane.LocalFakes"

# Every background process the scripts start is a process group leader (setsid), so stopping its group stops
# whatever it spawned too. stop_started stops them all; install_cleanup_traps runs it on exit, Ctrl-C and TERM.
STARTED_PIDS=()

# start_group <command...>: runs the command in the background in a new session and process group; sets STARTED_PID.
# Output goes wherever the caller redirects this function's output. A non-interactive shell starts background jobs
# with SIGINT and SIGQUIT ignored, and .NET keeps an inherited "ignore": env restores them, so the process can still
# be stopped with kill -INT like any other.
start_group() {
  setsid env --default-signal=INT,QUIT "$@" &
  STARTED_PID=$!
  STARTED_PIDS+=("$STARTED_PID")
}

# stop_started: stops the started process groups in reverse order (the app before the storage it still writes to):
# TERM, up to STOP_GRACE_SECONDS (15) for a clean shutdown, then KILL; waits for each.
stop_started() {
  local i pid deadline
  for ((i = ${#STARTED_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${STARTED_PIDS[i]}
    deadline=$((SECONDS + ${STOP_GRACE_SECONDS:-15}))
    kill -TERM -- "-$pid" 2>/dev/null || true
    while kill -0 -- "-$pid" 2>/dev/null && [ $SECONDS -lt "$deadline" ]; do sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  STARTED_PIDS=()
}

# install_cleanup_traps: stop everything started on any exit; Ctrl-C and TERM exit (and so clean up) at once.
install_cleanup_traps() {
  trap 'stop_started' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

ensure_azurite() {
  if [ ! -x "$ROOT/node_modules/.bin/azurite" ] || [ ! -x "$ROOT/node_modules/.bin/maildev" ]; then
    echo "Installing the pinned Azurite and MailDev (npm ci)..." >&2
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error) >&2
  fi
}

# ensure_debian_package PACKAGE COMMAND PURPOSE: installs a Debian package a test needs when COMMAND is missing and
# this user may (root with apt-get); otherwise says which test will report it.
ensure_debian_package() {
  local package="$1" command="$2" purpose="$3"
  command -v "$command" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's $package for $purpose (apt-get)..." >&2
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$package" >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$package" >/dev/null 2>&1; }; } \
      || echo "Could not install $package: $purpose will say so." >&2
  else
    echo "Debian's $package is missing (apt-get install $package): $purpose will say so." >&2
  fi
}

# Chromium for the browser tests (dashboard, HTML report); shellcheck for the GPU agent's lint test.
ensure_chromium() { ensure_debian_package chromium /usr/bin/chromium "the browser tests"; }
ensure_shellcheck() { ensure_debian_package shellcheck shellcheck "the GPU agent's lint test"; }

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

# azurite_connection_string <blob> <queue> <table>: the storage connection string for an Azurite on those ports.
azurite_connection_string() {
  echo "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$AZURITE_KEY;BlobEndpoint=http://127.0.0.1:$1/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$2/devstoreaccount1;TableEndpoint=http://127.0.0.1:$3/devstoreaccount1;"
}

# start_azurite <blob> <queue> <table> <extra args...>: starts in the background, sets AZURITE_PID and STORAGE.
start_azurite() {
  local blob=$1 queue=$2 table=$3; shift 3
  AZURITE_DIR="$(mktemp -d)"
  # Run from its own folder: Azurite writes an AzuriteConfig file into its working directory.
  start_group env -C "$AZURITE_DIR" "$ROOT/node_modules/.bin/azurite" --silent --skipApiVersionCheck --disableProductStyleUrl \
    --blobHost 127.0.0.1 --blobPort "$blob" --queueHost 127.0.0.1 --queuePort "$queue" \
    --tableHost 127.0.0.1 --tablePort "$table" "$@" >"$AZURITE_DIR/azurite.log" 2>&1
  AZURITE_PID=$STARTED_PID
  wait_for_port "$table" && wait_for_port "$queue" && wait_for_port "$blob"
  STORAGE="$(azurite_connection_string "$blob" "$queue" "$table")"
}

# build_dll <project>: builds it (Release) and prints the path of its dll, so it can run as `dotnet <dll>`: one
# process to stop, where `dotnet run` would leave the app running as its child.
build_dll() {
  dotnet build "$1" -c Release --nologo -v quiet >&2
  dotnet msbuild "$1" -nologo -p:Configuration=Release -getProperty:TargetPath
}

# start_app <port> [log]: builds APP_PROJECT and starts it on 127.0.0.1:<port>, its output to <log> if given; sets APP_PID.
start_app() {
  local dll
  dll="$(build_dll "$APP_PROJECT")"
  if [ -n "${2:-}" ]; then
    start_group dotnet "$dll" --urls "http://127.0.0.1:$1" >"$2" 2>&1
  else
    start_group dotnet "$dll" --urls "http://127.0.0.1:$1"
  fi
  APP_PID=$STARTED_PID
}

# start_fake_azure_openai: the local Azure OpenAI fake (Files + Batches) in the background; sets FAKE_AOAI_PID and
# exports ControlPlane__AzureOpenAI__Endpoint / __ApiKey so the app's nightly batch runs against it.
start_fake_azure_openai() {
  local out dll endpoint key
  out="$(mktemp)"
  dll="$(build_dll "$FAKES_PROJECT")"
  start_group dotnet "$dll" azure-openai >"$out" 2>&1
  FAKE_AOAI_PID=$STARTED_PID
  local deadline=$((SECONDS + 60))
  until grep -q '^AZURE_OPENAI_API_KEY=' "$out"; do
    [ $SECONDS -lt $deadline ] || { echo "the fake Azure OpenAI did not start:" >&2; cat "$out" >&2; return 1; }
    sleep 0.2
  done
  endpoint="$(sed -n 's/^AZURE_OPENAI_ENDPOINT=//p' "$out")"
  key="$(sed -n 's/^AZURE_OPENAI_API_KEY=//p' "$out")"
  export ControlPlane__AzureOpenAI__Endpoint="$endpoint" ControlPlane__AzureOpenAI__ApiKey="$key"
}

# start_maildev <smtp port> <web port>: MailDev (pinned) in the background, an SMTP server whose inbox is at
# http://127.0.0.1:<web port>; sets MAILDEV_PID and exports the report email settings pointing at it.
start_maildev() {
  start_group "$ROOT/node_modules/.bin/maildev" --silent --ip 127.0.0.1 --smtp "$1" --web "$2" --web-ip 127.0.0.1
  MAILDEV_PID=$STARTED_PID
  wait_for_port "$1" && wait_for_port "$2"
  export ControlPlane__Reports__Email__Host=127.0.0.1 ControlPlane__Reports__Email__Port="$1" ControlPlane__Reports__Email__Security=None \
    ControlPlane__Reports__Email__Monthly="cfo@contoso.example" ControlPlane__Reports__Email__CostCenters__CC1042="search-owner@contoso.example"
}
