#!/usr/bin/env bash
# Stages DJL's sources for this folder's Dockerfile where GitHub cannot be reached: from a local clone of DJL, the
# paths djl-sources.sh reads at tag v$DJL_VERSION, as djl-$DJL_VERSION.tar.gz in this folder (the build context), laid
# out as GitHub's archive of the tag (one top folder djl-$DJL_VERSION/). The builder then uses it instead of
# downloading. Git-ignored: DJL's code is never committed here.
#
#   docker/base/jre-torch/stage-djl.sh DJL_REPO [OUT]  # a git dir or work tree of github.com/deepjavalibrary/djl
#
# DJL_VERSION defaults to 0.35.1, the DJL the service is built with. OUT (default: that file in this folder) is where
# the archive goes, for bench/gpu/prepare.sh. Prints the archive's path.
set -euo pipefail
repo=${1:?usage: stage-djl.sh DJL_REPO}
version=${DJL_VERSION:-0.35.1}
here=$(cd "$(dirname "$0")" && pwd)
out=${2:-$here/djl-$version.tar.gz}
gitdir=$(git -C "$repo" rev-parse --absolute-git-dir 2>/dev/null || echo "$repo")
# gzip -n and git's own timestamps: the same tag gives the same bytes, so Docker's build cache holds across runs
git --git-dir="$gitdir" archive --format=tar --prefix="djl-$version/" "v$version" \
    engines/pytorch/pytorch-native/src/main/native api/src/main/native \
    engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java | gzip -n > "$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
