#!/usr/bin/env bash
# Checks the GPU worker's base image recipe (docker/base/jre-torch) end to end where there is no GPU, no PyPI and no
# GitHub: the same Dockerfile with Debian's libtorch 1.13 (CPU) instead of PyTorch's CUDA wheel, DJL's sources staged
# from a local clone. It builds that base (DJL's JNI compiled inside it against libtorch 1.13), the app image of this
# checkout on it, and runs scripts/compose-smoke.sh on that image: a fine-tuning job must succeed on the worker
# container, whose JVM must map the JNI built in the image and Debian's libtorch_cpu 1.13 (not the
# pytorch-native-cpu jar's 2.7.1, which DJL would unpack into its cache).
#
#   bash scripts/check-torch-base.sh
#
# Needs: a Docker engine, the local base images (scripts/build-base-images.sh), the jar (mvn -B -DskipTests package),
# the test data (scripts/fetch-testdata.sh), and a clone of github.com/deepjavalibrary/djl with the tag of the DJL
# version in pom.xml: DJL_REPO, by default /work/.mirror/deepjavalibrary+djl/repo where that exists. Without one it
# says "skipped" and exits 0. DOCKER overrides the client; COMPOSE is passed to compose-smoke.sh. The images it builds
# (caas-base/jre-torch:1.13.1-cpu, caas:torch-check) are kept, so a second run reuses Docker's build cache.
set -euo pipefail
cd "$(dirname "$0")/.."

DOCKER=${DOCKER:-docker}
BASE_IMAGE=caas-base/debian:bookworm
TORCH_IMAGE=caas-base/jre-torch:1.13.1-cpu
APP_IMAGE=caas:torch-check
say() { echo "check-torch-base: $*"; }

djl_version=$(sed -n 's:.*<djl.version>\(.*\)</djl.version>.*:\1:p' pom.xml)
if [[ -z "${DJL_REPO:-}" && -d /work/.mirror/deepjavalibrary+djl/repo ]]; then
    DJL_REPO=/work/.mirror/deepjavalibrary+djl/repo
fi
if [[ -z "${DJL_REPO:-}" ]] \
    || ! git -C "$DJL_REPO" rev-parse -q --verify "refs/tags/v$djl_version" >/dev/null 2>&1; then
    say "skipped: no DJL source (set DJL_REPO to a clone of github.com/deepjavalibrary/djl with tag v$djl_version)"
    exit 0
fi
[[ -f service/target/caas-service.jar ]] \
    || { say "no service/target/caas-service.jar: mvn -B -DskipTests package"; exit 1; }
"$DOCKER" image inspect "$BASE_IMAGE" >/dev/null 2>&1 \
    || { say "no $BASE_IMAGE: bash scripts/build-base-images.sh"; exit 1; }

started=$(date +%s)
log=$(mktemp /tmp/caas-torch-base.XXXXXX.log)
staged=""
trap 'rm -f "$log" ${staged:+"$staged"}' EXIT
build() {  # quietly, with the build's log shown when it fails
    "$DOCKER" build "$@" > "$log" 2>&1 || { tail -n 40 "$log"; say "FAILED: docker build $*"; exit 1; }
}

# into the build context, removed at the end (git-ignored)
staged=$(DJL_VERSION=$djl_version bash docker/base/jre-torch/stage-djl.sh "$DJL_REPO")
say "DJL $djl_version's sources staged from $DJL_REPO; building $TORCH_IMAGE (Debian's libtorch-dev 1.13)"
build --build-arg BASE_IMAGE=$BASE_IMAGE --build-arg TORCH_SOURCE=debian --build-arg TORCH_VERSION=1.13.1 \
    --build-arg TORCH_FLAVOR=cpu --build-arg DJL_VERSION="$djl_version" -t $TORCH_IMAGE docker/base/jre-torch
grep -o 'build-djl-jni: linked.*' "$log" || say "the JNI came from Docker's build cache"
say "building $APP_IMAGE on it ($(( $(date +%s) - started )) s so far)"
build --build-arg JRE_IMAGE=$TORCH_IMAGE -t $APP_IMAGE .

# the JNI beside libtorch as the image put it, and Debian's libtorch_cpu (the jar's would be libtorch_cpu.so under
# the DJL cache, /var/lib/caas/djl/pytorch/2.7.1-cpu-linux-x86_64/)
CAAS_IMAGE=$APP_IMAGE CAAS_JRE_IMAGE=$TORCH_IMAGE CAAS_POSTGRES_IMAGE=${CAAS_POSTGRES_IMAGE:-caas-base/postgres:15} \
    CAAS_SMOKE_WORKER_MAPS="^/opt/torch/torch/lib/$djl_version-libdjl_torch\.so$ /libtorch_cpu\.so\.1\.13" \
    CAAS_SMOKE_FUSED_ADAM=optional bash scripts/compose-smoke.sh
say "passed in $(( $(date +%s) - started )) s"
