#!/usr/bin/env bash
# Installs what the benchmarks use (Debian packages) and builds scrm-notify in release mode. Safe to re-run:
# apt-get only installs what is missing. Needs root or sudo for apt-get.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
# The build's own libraries first: a fresh machine has none of them.
"$REPO/scripts/setup"
PACKAGES=(wrk nginx-light prometheus-alertmanager python3-cryptography curl sqlite3)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=
  if ((EUID != 0)); then SUDO=sudo; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# The Debian packages start their services where systemd runs; the benchmarks start their own copies on other
# ports, so those can stay, but they would compete for the CPU.
for svc in nginx prometheus-alertmanager; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then
    echo "note: the system's $svc service is running and will share the CPU with the benchmark" >&2
  fi
done

/usr/bin/python3 "$REPO/bench/ingest/gen_pushes.py" --self-test
export PATH=/opt/swift/usr/bin:$PATH
cd "$REPO" && swift build -c release
echo "ready: $REPO/.build/release/scrm-notify" >&2
