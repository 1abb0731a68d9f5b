#!/usr/bin/env bash
# Installs the Debian packages junction builds and tests with, only those missing.
# Runs as root (CI, fresh machines) or through sudo when available.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config clang
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libcli11-dev libpcre2-dev libutf8proc-dev zlib1g-dev libbz2-dev
  libboost1.81-dev libssl-dev openssl nginx chromium libsqlite3-dev libyaml-cpp-dev
  libhiredis-dev redis-server wrk
  python3  # runs HumanEval programs in the eval sandbox; makes the --download test's archives
  libpq-dev postgresql
  libseccomp-dev  # the eval sandbox's system call allow-list
  libsentencepiece-dev  # reads tokenizer.model when `junction quantize` converts a vocabulary
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm drive the end-to-end tests (the official openai client). Machines that already
# have a Node.js (e.g. NodeSource's, which bundles npm) keep it; others get Debian's.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
echo "install_deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
