#!/usr/bin/env bash
# Runs every test against a private in-memory Azurite on free ports, then stops it.
# Usage: scripts/test.sh [extra dotnet test arguments]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

install_cleanup_traps
trap 'stop_started; rm -rf "${AZURITE_DIR:-}"' EXIT
ensure_azurite
ensure_chromium
ensure_shellcheck
start_azurite "$(free_port)" "$(free_port)" "$(free_port)" --inMemoryPersistence
echo "Azurite (pid $AZURITE_PID) ready for the tests."

export CONTROLPLANE_TEST_STORAGE="$STORAGE"
dotnet build ControlPlane.sln -c Release --nologo -v quiet
log="$AZURITE_DIR/test.log"
status=0
dotnet test ControlPlane.sln -c Release --no-build --nologo "$@" 2>&1 | tee "$log" || status=$?

# One closing line over all test projects, in the plain form CI reads.
read -r passed failed < <(awk '/(Passed|Failed)! +- +Failed:/ { gsub(",", ""); for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1) } } END { print p + 0, f + 0 }' "$log")
echo "Tests: $passed passed, $failed failed"
exit $status
