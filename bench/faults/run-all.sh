#!/usr/bin/env bash
# Builds the release binary and runs every fault script; each writes results/<name>.json and prints it.
# diskfull.py mounts a tmpfs and attaches strace, so run as root. Bounded: about 6 minutes in all.
set -euo pipefail
cd "$(dirname "$0")"
(cd ../.. && swift build -c release --product scrm-notify)
status=0
for script in hostile.py crash.py outage.py diskfull.py; do
    echo "== $script"
    timeout 600 python3 "$script" "$@" > /dev/null || status=1
    python3 -c "import json,sys; print('ok' if json.load(open('results/${script%.py}.json'))['ok'] else 'FAILED')"
done
exit $status
