# Shared by bench/*.sh: set up pier (scripts/setup.sh), install the peers and tools the benchmarks
# need (podman as the reference, hyperfine, GNU time), and start on equal terms (no
# NODE_EXTRA_CA_CERTS on either side).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
for p in podman hyperfine time; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || {
    export DEBIAN_FRONTEND=noninteractive; apt-get update -q; apt-get install -y -q "$p"; }
done
unset NODE_EXTRA_CA_CERTS
