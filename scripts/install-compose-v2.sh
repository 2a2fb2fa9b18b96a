#!/usr/bin/env bash
# Installs Compose v2 (the `docker compose` CLI plugin) where the host's Debian has only v1: bookworm ships
# docker-compose 1.29, trixie packages v2 (2.26) as a plugin binary that needs nothing but libc6 >= 2.34. The .deb
# comes from the host's own Debian mirror (the trixie suite, through a temporary sources list that leaves the host's
# apt state alone) and only the plugin is copied out, to /usr/local/lib/docker/cli-plugins/, where Docker's client
# (20.10 on bookworm) finds it. Root; does nothing where `docker compose version` already answers.
#
#   bash scripts/install-compose-v2.sh          # DOCKER=/usr/bin/docker by default
set -euo pipefail
DOCKER=${DOCKER:-/usr/bin/docker}
plugins=/usr/local/lib/docker/cli-plugins

if "$DOCKER" compose version >/dev/null 2>&1; then
    echo "install-compose-v2: $("$DOCKER" compose version) already there"
    exit 0
fi
[[ $(id -u) -eq 0 ]] || { echo "install-compose-v2: needs root" >&2; exit 1; }

# the host's Debian mirror, as its apt sources name it
mirror=$({ grep -rhoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
    || true; } | head -1 | tr -d ' ')
mirror=${mirror:-http://deb.debian.org/debian}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror%/} trixie main" > "$work/sources.list"
apt_opts=(-o "Dir::Etc::sourcelist=$work/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$work/lists"
          -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root)
timeout 300 apt-get "${apt_opts[@]}" -qq update
(cd "$work" && timeout 300 apt-get "${apt_opts[@]}" -qq download docker-compose)
deb=$(ls "$work"/docker-compose_2.*.deb 2>/dev/null | head -1)
[[ -n "$deb" ]] || { echo "install-compose-v2: trixie's docker-compose is not v2 here" >&2; exit 1; }
dpkg-deb -x "$deb" "$work/root"
install -D -m 0755 "$work/root/usr/libexec/docker/cli-plugins/docker-compose" "$plugins/docker-compose"
echo "install-compose-v2: $("$DOCKER" compose version) (from $(basename "$deb"))"
