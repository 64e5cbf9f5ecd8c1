#!/usr/bin/env bash
# Builds librdkafka's mock cluster with an indexed log: the installed librdkafka1's own Debian source,
# with mock-log.patch, as a librdkafka.so.1 that Debian's kcat loads in place of the system's
# (infra/kafka/mock-cluster.sh does so when KAFKA_MOCK_LIBRARY names its folder).
# Prints that folder as its last stdout line; a second run with the same librdkafka and patch only
# prints it. Installs nothing: the source list, package lists and cache are private (a copy of the
# system's sources, turned to deb-src); apt-get update still runs the system's update hooks.
#   usage: KAFKA_MOCK_LIBRARY=$(infra/kafka/indexed-mock/build.sh) npm run bench:kafka
#   (POLYFLOW_INDEXED_MOCK_DIR: another folder to build into than out/indexed-mock)
#
# The stock mock (librdkafka 2.0.2) leaves two FIXMEs that a broker does not have, and both cost
# latency under many small batches (bench/kafka/RESULTS.md, "An indexed mock log"):
# - it finds a fetch's offset by walking the partition's log from its oldest batch; the patched one
#   walks from the newest, where consumers fetch;
# - it answers a fetch with one batch per partition; the patched one with every batch from the
#   fetch's offset on that fits the fetch's byte limits, as a broker does.
# It still answers a waiting fetch only when the wait is over, as the stock mock does.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="${POLYFLOW_INDEXED_MOCK_DIR:-$root/out/indexed-mock}"

# The source package and version the installed library was built from (a binNMU's binary version
# is not its source's).
read -r package version < <(dpkg-query -W -f='${source:Package} ${source:Version}\n' librdkafka1 2>/dev/null) || true
if [ -z "${version:-}" ]; then
  echo "indexed-mock: librdkafka1 is not installed (apt-get install -y kcat)" >&2
  exit 2
fi
stamp="$package $version $(cat "$here/mock-log.patch" "$here/build.sh" | sha256sum | cut -d' ' -f1)"
if [ -f "$out/librdkafka.so.1" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "$out"
  exit 0
fi
for tool in gcc g++ make patch xz; do
  command -v "$tool" >/dev/null || { echo "indexed-mock: $tool not found (apt-get install -y g++ make patch xz-utils zlib1g-dev)" >&2; exit 2; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/parts" "$work/lists/partial" "$work/cache/archives/partial" "$work/src"
# The system's own sources, as deb-src entries (deb822 files and one-line lists alike).
for f in /etc/apt/sources.list.d/*.sources; do
  if [ -f "$f" ]; then sed 's/^Types:.*/Types: deb-src/' "$f" > "$work/parts/$(basename "$f")"; fi
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  if [ -f "$f" ]; then sed -n 's/^deb /deb-src /p' "$f" >> "$work/parts/system.list"; fi
done
apt_private=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$work/parts"
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o "APT::Sandbox::User=root")
echo "indexed-mock: fetching $package $version's source" >&2
apt-get "${apt_private[@]}" update -qq >&2
(cd "$work/src" && apt-get "${apt_private[@]}" source --download-only -qq "$package=$version" >&2)

bare="${version#*:}" # the files carry no epoch
upstream="${bare%-*}"
tar -xzf "$work/src/${package}_${upstream}.orig.tar.gz" -C "$work/src"
tree="$work/src/$package-$upstream"
tar -xJf "$work/src/${package}_${bare}.debian.tar.xz" -C "$tree"
if [ -f "$tree/debian/patches/series" ]; then
  { grep -vE '^\s*(#|$)' "$tree/debian/patches/series" || true; } | while read -r p _; do
    patch -d "$tree" -p1 -s < "$tree/debian/patches/$p"
  done
fi
patch -d "$tree" -p1 -s < "$here/mock-log.patch"

echo "indexed-mock: building librdkafka.so.1 (about 30 s on 2 cores)" >&2
(cd "$tree" && ./configure --disable-ssl --disable-gssapi --disable-sasl --disable-zstd \
  --disable-lz4-ext --disable-curl --disable-regex-ext >&2 && make -s -j"$(nproc)" -C src librdkafka.so.1 >&2) \
  || { echo "indexed-mock: the build failed (needs gcc, g++, make, zlib1g-dev)" >&2; exit 1; }
mkdir -p "$out"
# A new file moved into place: a kcat running on the old one keeps its mapping.
cp "$tree/src/librdkafka.so.1" "$out/.librdkafka.so.1.$$"
mv -f "$out/.librdkafka.so.1.$$" "$out/librdkafka.so.1"
echo "$stamp" > "$out/stamp"
echo "$out"
