#!/usr/bin/env bash
# Fetches Debian's PyTorch (python3-torch 1.13, CPU) and the Debian packages it needs into testdata/torch-peer
# (git-ignored), without installing anything: apt-get download + dpkg-deb -x. Idempotent: a complete tree is kept.
# It is the reference peer for bench/torch_peer.py (see BENCHMARKS.md); the Java build never needs it.
#
# Which packages: what `apt-get install --no-install-recommends python3-torch libopenblas0-pthread` would add to
# this machine (apt's own resolution, so alternatives are picked once and installed packages are not fetched
# again). libopenblas0-pthread is the BLAS libtorch recommends (libblas.so.3 is otherwise Debian's reference BLAS,
# which would make PyTorch's Linear layers artificially slow).
#
# Afterwards testdata/torch-peer/python3 runs Debian's python3.11 with the tree on PYTHONPATH/LD_LIBRARY_PATH:
#   testdata/torch-peer/python3 -c 'import torch; print(torch.__version__)'
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$root/testdata"
dest="$root/testdata/torch-peer"
tree="$dest/root"
stamp="$dest/.complete"
wanted=(python3-torch libopenblas0-pthread)

write_wrapper() {
  cat > "$dest/python3" <<'EOF'
#!/usr/bin/env bash
# Debian's python3.11 with the unpacked python3-torch tree (written by scripts/fetch-torch-peer.sh).
here="$(cd "$(dirname "$0")" && pwd)"
tree="$here/root"
lib="$tree/usr/lib/x86_64-linux-gnu"
export LD_LIBRARY_PATH="$lib/openblas-pthread:$lib:$tree/usr/lib:$tree/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PYTHONPATH="$tree/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONNOUSERSITE=1
if [ -x /usr/bin/python3.11 ]; then
  exec /usr/bin/python3.11 "$@"
fi
# No Debian python3.11 on this machine: the fetch then unpacked it into the tree as well.
export PYTHONHOME="$tree/usr"
exec "$tree/usr/bin/python3.11" "$@"
EOF
  chmod +x "$dest/python3"
}

if [ -e "$stamp" ] && [ -e "$tree/usr/lib/python3/dist-packages/torch/__init__.py" ]; then
  write_wrapper
  echo "fetch-torch-peer: ready in $dest ($(wc -l < "$stamp") packages)"
  exit 0
fi

mkdir -p "$dest/debs" "$tree"
resolve() {
  # "Inst name (version ...)" lines are packages this machine lacks; "Inst name [old] (...)" are upgrades of
  # installed ones, which the system copy already satisfies well enough for an unpacked tree.
  apt-get -s -q install --no-install-recommends "${wanted[@]}" 2>/dev/null | awk '/^Inst / && $3 !~ /^\[/ {print $2}'
}
pkgs="$(resolve)"
if [ -z "$pkgs" ] || ! apt-cache show python3-torch >/dev/null 2>&1; then
  # A fresh machine may have no package lists yet; refreshing them needs root.
  if [ "$(id -u)" = 0 ]; then apt-get update -qq >/dev/null; fi
  pkgs="$(resolve)"
fi
if [ -z "$pkgs" ]; then
  echo "fetch-torch-peer: apt resolved no packages (is python3-torch already installed system-wide?)" >&2
  if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    echo "fetch-torch-peer: it is; the wrapper falls back to it" >&2
  else
    exit 1
  fi
fi

cd "$dest/debs"
missing=()
for p in $pkgs; do
  ls "${p}"_*.deb >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "fetch-torch-peer: downloading ${#missing[@]} Debian packages"
  apt-get download -q "${missing[@]}" >/dev/null 2>&1 || apt-get download -q "${missing[@]}"
fi
for p in $pkgs; do
  for deb in "${p}"_*.deb; do dpkg-deb -x "$deb" "$tree"; done
done
[ -e "$tree/usr/lib/python3/dist-packages/torch/__init__.py" ] || {
  echo "fetch-torch-peer: python3-torch did not unpack" >&2; exit 1; }
write_wrapper
"$dest/python3" -c 'import torch; print("fetch-torch-peer: torch", torch.__version__, "imports")'
echo "$pkgs" > "$stamp"
rm -f "$dest"/debs/*.deb
echo "fetch-torch-peer: ready in $dest ($(wc -l < "$stamp") packages)"
