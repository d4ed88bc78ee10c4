#!/usr/bin/env bash
# Runs every test against a private in-memory Azurite on free ports, then stops it.
# Usage: scripts/test.sh [extra dotnet test arguments]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_azurite
start_azurite "$(free_port)" "$(free_port)" "$(free_port)" --inMemoryPersistence
trap 'kill $AZURITE_PID 2>/dev/null || true; rm -rf "$AZURITE_DIR"' EXIT
echo "Azurite (pid $AZURITE_PID) ready for the tests."

export CONTROLPLANE_TEST_STORAGE="$STORAGE"
dotnet build ControlPlane.sln -c Release --nologo -v quiet
dotnet test ControlPlane.sln -c Release --no-build --nologo --logger "console;verbosity=normal" "$@"
