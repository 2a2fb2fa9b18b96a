#!/usr/bin/env bash
# Stages everything bench/gpu/run-on-device.sh needs on the GPU machine (which has no Java and no network) into one
# folder, by default .gpu/ at the repository root (add /.gpu/ to .git/info/exclude: it is never committed):
#
#   djl/        DJL v0.35.1's PyTorch JNI sources, from a local clone of DJL (DJL_REPO, a git dir or work tree),
#               with the JNI header generated here by `javac -h` from PyTorchLibrary.java, and jni.h/jni_md.h
#   jre.tar.xz  a jlink'd Java 17 runtime (the modules the classpath needs)
#   lib/        the engine's jars and classes (its test classes too, for the main class), DJL api + pytorch-engine and
#               their small dependencies; not pytorch-native-cpu, pytorch-jni (libtorch 2.7.1) or onnxruntime
#   onnx/cnn.onnx  the Fashion-MNIST CNN exported by bench/torch_peer.py (initial weights, seed 0)
#   data/       Fashion-MNIST's four .gz files
#   scripts/    bench/gpu/*.sh and *.py, and the JNI build (build-djl-jni.sh, prune_failed.py) from docker/base/jre-torch/,
#               whose Dockerfile builds the GPU worker's base image with them
#
#   DJL_REPO=/path/to/djl[.git] bench/gpu/prepare.sh [DEST]
#
# Needs: JDK 17 (javac, jlink), Maven (offline cache as for the build), python3, the torch peer
# (scripts/fetch-torch-peer.sh) unless ONNX_DIR names a folder that already holds cnn.onnx, and Fashion-MNIST
# (scripts/fetch-testdata.sh) under testdata/ or in DATA_DIR.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dest="${1:-$root/.gpu}"
DJL_TAG="${DJL_TAG:-v0.35.1}"
: "${DJL_REPO:?set DJL_REPO to a clone of github.com/deepjavalibrary/djl}"
data="${DATA_DIR:-$root/testdata/root/usr/share/datasets/fashion-mnist}"
java_home="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}"
rm -rf "$dest"
mkdir -p "$dest"/{djl,lib,onnx,data,scripts}

echo "prepare: DJL $DJL_TAG sources from $DJL_REPO" >&2
# as the GPU worker's base image lays them out (docker/base/jre-torch): the paths at the tag, the JNI header javac -h
# makes from PyTorchLibrary.java, jni.h
DJL_VERSION="${DJL_TAG#v}" bash "$root/docker/base/jre-torch/stage-djl.sh" "$DJL_REPO" "$dest/djl.tar.gz" > /dev/null
JAVA_HOME="$java_home" sh "$root/docker/base/jre-torch/djl-sources.sh" "$dest/djl.tar.gz" "$dest/djl"
rm "$dest/djl.tar.gz"

echo "prepare: compiling the engine and its test classes" >&2
(cd "$root" && mvn -B -q -pl engine test-compile exec:exec -Dexec.executable=echo -Dexec.classpathScope=test \
    -Dexec.args='%classpath' -Dexec.outputFile="$dest/classpath.txt" >&2)
cp_all="$(tr -d '\n' < "$dest/classpath.txt")"
rm "$dest/classpath.txt"

echo "prepare: jars" >&2
keep='/ai/djl/api/|/ai/djl/pytorch/pytorch-engine/|/protobuf-java/|/ejml-|/jna/|/commons-compress/|/commons-codec/|/commons-io/|/slf4j-api/|/slf4j-simple/|/gson/|/error_prone_annotations/'
for f in $(tr ':' '\n' <<<"$cp_all" | grep -E "$keep"); do cp "$f" "$dest/lib/"; done
(cd "$root/engine/target/classes" && "$java_home/bin/jar" cf "$dest/lib/engine-classes.jar" .)
(cd "$root/engine/target/test-classes" && "$java_home/bin/jar" cf "$dest/lib/engine-test-classes.jar" \
    $(find . -name '*.class' | grep -E '^\./io/caas/engine/(bench/|train/FashionMnist|testing/)'))

echo "prepare: jlink" >&2
# No java.desktop: only DJL's image classes and ejml's plotting use it, and the check loads neither.
mods=java.base,java.logging,java.management,jdk.management,java.compiler,jdk.unsupported,java.xml,java.naming
"$java_home/bin/jlink" --add-modules "$mods" --strip-debug --no-man-pages --no-header-files --compress=0 \
    --output "$dest/jre"
tar -C "$dest" -c jre | xz -9 -T0 > "$dest/jre.tar.xz"
rm -rf "$dest/jre"

echo "prepare: model and data" >&2
if [ -n "${ONNX_DIR:-}" ]; then
  cp "$ONNX_DIR/cnn.onnx" "$dest/onnx/"
else
  bash "$root/scripts/fetch-torch-peer.sh" >&2
  "$root/testdata/torch-peer/python3" "$root/bench/torch_peer.py" --data "$data" --models cnn \
      --export-dir "$dest/onnx" --no-time > /dev/null
fi
cp "$data"/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz "$dest/data/"
cp "$root"/bench/gpu/*.sh "$root"/bench/gpu/*.py "$dest/scripts/"
cp "$root"/docker/base/jre-torch/{build-djl-jni.sh,prune_failed.py} "$dest/scripts/"
du -sh "$dest"/* >&2
du -sh "$dest" >&2
