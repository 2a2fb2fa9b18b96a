#!/usr/bin/env bash
# Makes the local base images the Dockerfiles take as build arguments, for machines that reach no image registry
# (this project's CI): a Debian bookworm root file system from Debian's packages (debootstrap, imported with
# `docker import`), then a JRE and a PostgreSQL image built on it from docker/base/. An image already present and
# built from the same recipe is kept, so a second run costs seconds.
#
#   bash scripts/build-base-images.sh          # prints the three image names when done
#
# Needs root, debootstrap and a Docker engine; DOCKER overrides the client (default: docker on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."

DOCKER=${DOCKER:-docker}
DEBIAN_IMAGE=caas-base/debian:bookworm
JRE_IMAGE=caas-base/jre:17
POSTGRES_IMAGE=caas-base/postgres:15

# The recipe of an image: a hash of the files it is made from, kept in the image as a label.
recipe() {
    sha256sum | cut -c1-16
}

current() {
    "$DOCKER" image inspect -f '{{ index .Config.Labels "io.caas.recipe" }}' "$1" 2>/dev/null || true
}

# The Debian mirror the host uses (deb822 sources first, then sources.list), so the image installs what the host can.
host_mirror() {
    local uri
    uri=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | grep -v security | head -n 1 || true)
    if [[ -z "$uri" ]]; then
        uri=$(sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\)[[:space:]]\+bookworm[[:space:]].*/\2/p' \
            /etc/apt/sources.list 2>/dev/null | head -n 1 || true)
    fi
    echo "${uri:-http://deb.debian.org/debian}"
}

build_debian() {
    local want
    # what the root file system is made from; change it to make a new one
    want=$(echo "debootstrap minbase bookworm 1" | recipe)
    if [[ "$(current "$DEBIAN_IMAGE")" == "$want" ]]; then
        echo "$DEBIAN_IMAGE: present"
        return
    fi
    local mirror rootfs
    mirror=$(host_mirror)
    rootfs=$(mktemp -d /tmp/caas-rootfs.XXXXXX)
    trap 'rm -rf "$rootfs"' RETURN
    echo "$DEBIAN_IMAGE: debootstrap bookworm from $mirror"
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" > "$rootfs.log" 2>&1 \
        || { tail -n 20 "$rootfs.log"; rm -f "$rootfs.log"; return 1; }
    rm -f "$rootfs.log"
    if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
        # the host's own sources (security updates, snapshot pins) rather than debootstrap's single line
        rm -f "$rootfs/etc/apt/sources.list"
        cp /etc/apt/sources.list.d/debian.sources "$rootfs/etc/apt/sources.list.d/"
    fi
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
    tar -C "$rootfs" -c . | "$DOCKER" import -c 'CMD ["bash"]' -c "LABEL io.caas.recipe=$want" - "$DEBIAN_IMAGE" >/dev/null
    echo "$DEBIAN_IMAGE: imported"
}

build_from() {
    local image=$1 dir=$2 want
    # the files it is built from and the base it is built on
    want=$( ( cat "$dir"/*; "$DOCKER" image inspect -f '{{.Id}}' "$DEBIAN_IMAGE" ) | recipe)
    if [[ "$(current "$image")" == "$want" ]]; then
        echo "$image: present"
        return
    fi
    echo "$image: building from $dir"
    "$DOCKER" build -q --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE" --label "io.caas.recipe=$want" -t "$image" "$dir" >/dev/null
    echo "$image: built"
}

build_debian
build_from "$JRE_IMAGE" docker/base/jre
build_from "$POSTGRES_IMAGE" docker/base/postgres
