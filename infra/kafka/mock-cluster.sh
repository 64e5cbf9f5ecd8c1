#!/usr/bin/env bash
# Starts librdkafka's in-process mock Kafka cluster (through Debian's `kcat`; installs nothing) and
# prints its bootstrap address (`127.0.0.1:PORT`, an ephemeral port) as the first stdout line.
# Runs until killed: kill its process group to stop the cluster. Needs `kcat` (apt-get install kcat).
#   usage: infra/kafka/mock-cluster.sh [brokers]   (default 1)
# The mock auto-creates topics with 4 partitions and supports no CreateTopics/DeleteTopics
# (see ../shared/INFRA.md); `-d mock` is only there to learn the port, its log is discarded.
set -euo pipefail
brokers="${1:-1}"
if ! command -v kcat >/dev/null; then
  echo "mock-cluster: kcat not found (apt-get install -y kcat)" >&2
  exit 2
fi
sleep infinity | kcat -X "test.mock.num.brokers=${brokers}" -d mock -b 127.0.0.1:1 -C -t polyflow.mock.bootstrap -q 2>&1 >/dev/null \
  | awk '!done && match($0, /bootstrap\.servers=[^ ]+/) { print substr($0, RSTART + 18, RLENGTH - 18); fflush(); done = 1 }'
