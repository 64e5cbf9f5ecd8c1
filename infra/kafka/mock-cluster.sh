#!/usr/bin/env bash
# Starts librdkafka's in-process mock Kafka cluster (through Debian's `kcat`; installs nothing) and
# prints its bootstrap address (`127.0.0.1:PORT`, an ephemeral port) as the first stdout line.
# Runs until killed: kill its process group to stop the cluster. Needs `kcat` (apt-get install kcat).
#   usage: infra/kafka/mock-cluster.sh [brokers]   (default 1)
# With KAFKA_MOCK_LIBRARY set to a folder holding a librdkafka.so.1 (the indexed mock that
# infra/kafka/indexed-mock/build.sh builds), kcat loads that library instead of the system's.
# The mock auto-creates topics with 4 partitions and supports no CreateTopics/DeleteTopics
# (see ../shared/INFRA.md). The address is read off librdkafka's notice "Mock cluster enabled: ...
# replaced with <bootstrap>" (printed without debug contexts). No `-d mock`: it logs every request
# the mock serves, which cost the mock 5-15% more CPU under the pipelines' load, and awk more to drop.
set -euo pipefail
brokers="${1:-1}"
if ! command -v kcat >/dev/null; then
  echo "mock-cluster: kcat not found (apt-get install -y kcat)" >&2
  exit 2
fi
if [ -n "${KAFKA_MOCK_LIBRARY:-}" ]; then
  if [ ! -f "$KAFKA_MOCK_LIBRARY/librdkafka.so.1" ]; then
    echo "mock-cluster: no librdkafka.so.1 in KAFKA_MOCK_LIBRARY ($KAFKA_MOCK_LIBRARY)" >&2
    exit 2
  fi
  export LD_LIBRARY_PATH="$KAFKA_MOCK_LIBRARY${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
sleep infinity | kcat -X "test.mock.num.brokers=${brokers}" -b 127.0.0.1:1 -C -t polyflow.mock.bootstrap -q 2>&1 >/dev/null \
  | awk '!done && match($0, /replaced with [^ ]+/) { print substr($0, RSTART + 14, RLENGTH - 14); fflush(); done = 1 }'
