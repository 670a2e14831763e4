#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the demo, as root on Debian 12:
#  1. load the seed report's PostgreSQL cluster configuration (configs/pgsql-lab.crm) into a
#     CIB file, show it, check it with Pacemaker's crm_verify, and ask the policy engine what
#     it would do on a fresh two-node cluster (harm simulate);
#  2. build a two-node lab (osspc30, osspc31; eth0 + eth1, in network namespaces), start harmd
#     on both and show the membership and per-link state each node sees.
# The lab stays up; the script ends by printing how to inject a failure and tear it down.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

work=${HARM_DEMO_DIR:-/var/tmp/harm-demo}
mkdir -p "$work"
cib="$work/cib.xml"
rm -f "$cib"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "harm configure load replace configs/pgsql-lab.crm"
harm configure --cib "$cib" load replace configs/pgsql-lab.crm

step "harm configure show"
harm configure --cib "$cib" show

step "crm_verify -x $cib (Pacemaker's own checker reads harm's CIB file)"
# Exit 78 with only warnings: the seed disables fencing, which crm_verify always mentions.
verdict=0; crm_verify -x "$cib" || verdict=$?
if [ "$verdict" -ne 0 ] && [ "$verdict" -ne 78 ]; then exit "$verdict"; fi
echo "crm_verify: no errors"

step "harm simulate: both nodes online, nothing running yet"
harm simulate --cib "$cib" -u osspc30 -u osspc31 -S || true

step "harm lab up --demo: two nodes, PostgreSQL 15 primary + sync standby, run by harmd"
harm lab down >/dev/null 2>&1 || true
harm lab up --demo
echo "(with PATH=$PWD/.venv/bin:\$PATH; the lab stays up until 'harm lab down')"
