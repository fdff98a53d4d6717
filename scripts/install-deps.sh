#!/usr/bin/env bash
# Installs every Debian package postfork needs to build, run and test.
# Idempotent: when everything is present it returns in well under a second.
# Usage: scripts/install-deps.sh   (as root on Debian 12)
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config clang libclang-rt-14-dev clang-format git
  # libraries
  libboost1.81-dev libboost-json1.81-dev librocksdb-dev liblz4-dev libsnappy-dev libzstd-dev
  libssl-dev libcrypt-dev libfmt-dev libspdlog-dev libcli11-dev libtomlplusplus-dev libsystemd-dev
  libedit-dev libgtest-dev libgmock-dev libbenchmark-dev libhowardhinnant-date-dev tzdata
  # integration tests and benchmarks: real drivers and peers
  python3 python3-cassandra python3-lz4 zlib1g-dev golang-go golang-github-gocql-gocql-dev
  curl wrk nginx-light uwsgi-core uwsgi-plugin-python3 python3-uwsgidecorators python3-webpy procps
  # Apache Cassandra 5.0, the reference the compatibility tests run against (scripts/cassandra.sh)
  openjdk-17-jdk-headless maven
  # the Python package (scripts/build-python.sh) and its tests
  python3-dev python3-pip python3-venv python3-pytest gunicorn
)
# Node.js: the machine image ships NodeSource's nodejs (npm included), which conflicts with
# Debian's npm package; install Debian's pair only where no npm exists.
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

missing=()
while read -r status pkg; do
  [ "$status" = "installed" ] || missing+=("$pkg")
done < <(dpkg-query -W -f='${db:Status-Status} ${Package}\n' "${PACKAGES[@]}" 2>/dev/null || true)
# dpkg-query prints nothing for packages it has never heard of.
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -q '^installed$' || missing+=("$p")
done
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u | sed '/^$/d')

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: run this script as root (or with sudo) to install them" >&2
    exit 1
  fi
  echo "install-deps: installing ${#missing[@]} Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "install-deps: done"
fi

# npm's cassandra-driver for the Node.js integration tests, pinned by the lockfile.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
nodedir="$root/tests/node/nodejs"
if [ -f "$nodedir/package.json" ] && [ ! -d "$nodedir/node_modules/cassandra-driver" ]; then
  echo "install-deps: npm install in tests/node/nodejs"
  (cd "$nodedir" && npm ci --no-audit --no-fund --loglevel=error 2>/dev/null || npm install --no-audit --no-fund --loglevel=error)
fi

# Apache Cassandra 5.0 and its runtime dependencies, resolved by Maven from tests/cassandra/pom.xml
# into the local repository once; scripts/cassandra.sh then builds its classpath offline. A stamp
# named after the pom's hash makes the check instant when nothing changed.
pom="$root/tests/cassandra/pom.xml"
if [ -f "$pom" ]; then
  m2="${HOME}/.m2"
  stamp="$m2/postfork-cassandra-$(sha256sum "$pom" | cut -c1-16).ok"
  if [ ! -f "$stamp" ]; then
    echo "install-deps: resolving Apache Cassandra with Maven (tests/cassandra/pom.xml)"
    mkdir -p "$m2"
    mvn -q -B -f "$pom" dependency:resolve dependency:build-classpath \
      -Dmdep.outputFile=/dev/null >"$m2/postfork-cassandra.log" 2>&1 \
      || { cat "$m2/postfork-cassandra.log" >&2; exit 1; }
    touch "$stamp"
  fi
fi
