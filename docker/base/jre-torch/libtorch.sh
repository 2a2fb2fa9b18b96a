#!/bin/sh
# Where the image's libtorch comes from: the one place that knows, by TORCH_SOURCE (the Dockerfile's build argument).
#
#   pip     PyTorch's wheel torch==TORCH_VERSION from TORCH_INDEX (default https://download.pytorch.org/whl/<flavor>),
#           pip-installed with --target into DEST as a site folder: torch/ and the nvidia-* wheels that carry CUDA's
#           libraries beside it, whose relative rpaths (torch/lib -> ../../nvidia/...) the layout keeps. The route the
#           H200 run proved with 2.11.0+cu130 (BENCHMARKS.md, "Training on a GPU worker (H200)").
#   debian  Debian's libtorch-dev (1.13.1, CPU), for checking the whole route where there is no GPU and no PyPI
#           (scripts/check-torch-base.sh): DEST/torch/lib holds only symlinks to libtorch's three libraries, since
#           DJL loads every library in PYTORCH_LIBRARY_PATH.
#
#   libtorch.sh build-packages      Debian packages the builder stage needs for this source
#   libtorch.sh runtime-packages    Debian packages the final image needs for it
#   libtorch.sh install DEST ENV    puts libtorch under DEST (its library folder is always DEST/torch/lib) and writes
#                                   TORCH_INCLUDE, TORCH_LIB and JNI_DEFINES for build-djl-jni.sh into the file ENV
#
# TORCH_VERSION and TORCH_FLAVOR (cpu, cu128, cu130, ...) say which libtorch: pip installs that one, debian checks
# that they describe Debian's; the image hands them to DJL as PYTORCH_VERSION and PYTORCH_FLAVOR.
set -eu
: "${TORCH_SOURCE:?}" "${TORCH_VERSION:?}" "${TORCH_FLAVOR:?}"
TORCH_INDEX=${TORCH_INDEX:-https://download.pytorch.org/whl/$TORCH_FLAVOR}
say() { echo "libtorch.sh: $*" >&2; }

# the define DJL's build.sh passes for the libtorch versions whose API its sources also support
jni_defines() {
    case "$TORCH_VERSION" in
        1.13.1|2.0.1|2.1.*) echo "-DV1_13_X" ;;
        *) echo "" ;;
    esac
}

pip_install() {
    dest=$1
    say "torch==$TORCH_VERSION from $TORCH_INDEX into $dest"
    # --target: a site folder of its own (and no PEP 668 refusal on Debian's Python)
    python3 -m pip install --no-cache-dir --disable-pip-version-check --target "$dest" "torch==$TORCH_VERSION" \
        --index-url "$TORCH_INDEX"
    got=$(sed -n "s/^__version__ = '\(.*\)'.*/\1/p" "$dest/torch/version.py")
    [ "$got" = "$TORCH_VERSION+$TORCH_FLAVOR" ] \
        || { say "the wheel is torch $got, not $TORCH_VERSION+$TORCH_FLAVOR"; exit 1; }
    # DJL counts GPUs with libcudart through JNA (dlopen "libcudart.so"), which the wheel has only as libcudart.so.N
    # somewhere under nvidia/: a fixed folder with that one link, on LD_LIBRARY_PATH (the Dockerfile's ENV).
    mkdir -p "$dest/cudart"
    case "$TORCH_FLAVOR" in
        cu*)
            cudart=$(cd "$dest" && find nvidia -name 'libcudart.so.[0-9]*' | sort | tail -n 1)
            [ -n "$cudart" ] || { say "no libcudart.so.* under $dest/nvidia"; exit 1; }
            ln -s "../$cudart" "$dest/cudart/libcudart.so"
            ;;
    esac
    echo "TORCH_INCLUDE=$dest/torch/include" > "$2"
}

debian_install() {
    dest=$1
    deb=$(dpkg-query -W -f '${Version}' libtorch-dev)
    case "$deb" in
        "$TORCH_VERSION"+*) ;;
        *) say "Debian's libtorch-dev is $deb: pass --build-arg TORCH_VERSION=${deb%%+*}"; exit 1 ;;
    esac
    [ "$TORCH_FLAVOR" = cpu ] || { say "Debian's libtorch is a CPU build: pass --build-arg TORCH_FLAVOR=cpu"; exit 1; }
    mkdir -p "$dest/torch/lib" "$dest/cudart"
    for lib in torch torch_cpu c10; do
        # the versioned file libtorch$V's package installs (the unversioned link is libtorch-dev's)
        ln -s "$(readlink -f "$(ls /usr/lib/*/lib$lib.so | head -n 1)")" "$dest/torch/lib/lib$lib.so"
    done
    echo "TORCH_INCLUDE=/usr/include" > "$2"
}

case "$TORCH_SOURCE:$1" in
    pip:build-packages) echo "python3-pip" ;;
    pip:runtime-packages) echo "" ;;
    pip:install) pip_install "$2" "$3" ;;
    # libtorch1.13 is the runtime package of libtorch-dev 1.13
    debian:build-packages) echo "libtorch-dev" ;;
    debian:runtime-packages) echo "libtorch${TORCH_VERSION%.*}" ;;
    debian:install) debian_install "$2" "$3" ;;
    *) say "usage: TORCH_SOURCE=pip|debian libtorch.sh build-packages|runtime-packages|install DEST ENV" \
           "(TORCH_SOURCE is $TORCH_SOURCE)"; exit 1 ;;
esac
if [ "$1" = install ]; then
    echo "TORCH_LIB=$2/torch/lib" >> "$3"
    echo "JNI_DEFINES=\"$(jni_defines)\"" >> "$3"
    say "library folder $2/torch/lib: $(ls "$2/torch/lib" | tr '\n' ' ')"
fi
