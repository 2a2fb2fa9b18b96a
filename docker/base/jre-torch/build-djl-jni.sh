#!/usr/bin/env bash
# Builds DJL's PyTorch JNI library (libdjl_torch.so) from DJL's sources against the libtorch of the machine it runs
# on, with g++ directly: the same sources, include paths and defines as DJL's CMakeLists.txt, without CMake's
# find_package(Torch) (whose CUDA part needs the whole CUDA toolkit set up) or find_package(JNI) (no JDK on the GPU
# machine: jni.h comes staged). One copy serves two callers: the builder stage of this folder's Dockerfile (the GPU
# worker's base image) and bench/gpu/run-on-device.sh (bench/gpu/prepare.sh stages it with prune_failed.py).
#
#   build-djl-jni.sh DJL_DIR TORCH_INCLUDE TORCH_LIB OUT_DIR
#
#   DJL_DIR        DJL's sources as prepare.sh's djl/ or the Dockerfile's /build/djl lay them out:
#                  engines/pytorch/pytorch-native with build/include/<JNI header made by javac -h>, api/src/main/native,
#                  jni-include/ (jni.h, linux/jni_md.h)
#   TORCH_INCLUDE  libtorch's include folder (a pip wheel: torch/include)
#   TORCH_LIB      libtorch's lib folder (libtorch.so, libtorch_cpu.so, libc10.so; libtorch_cuda.so on CUDA builds)
#   env DEFINES    extra -D flags (e.g. -DV1_13_X for libtorch 1.13, as DJL's build.sh passes)
#   env CXXSTD     c++17 or c++20; default: c++17 unless <torch/torch.h> needs more
#   env ROUNDS     compile rounds (default 3)
#
# DJL's sources target libtorch 2.7.1. When a source file does not compile against this libtorch, prune_failed.py
# removes the top-level definitions the errors are in (JNI functions, mostly) and the file is compiled again, up to
# ROUNDS times: the JVM binds a native method at its first call, so the library still serves every method whose
# function compiled. Everything removed is listed in OUT_DIR/pruned.txt, and the JNI functions the library lacks in
# OUT_DIR/missing-jni.txt. Exit status 0 when libdjl_torch.so was linked.
set -uo pipefail
djl="$(cd "$1" && pwd)"; inc="$2"; lib="$3"; out="$4"
here="$(cd "$(dirname "$0")" && pwd)"
native="$djl/engines/pytorch/pytorch-native"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
work="$out/src"
rm -rf "$work"; mkdir -p "$work"
cp "$native"/src/main/native/* "$work/"
: > "$out/pruned.txt"
header="$(ls "$native"/build/include/*.h | head -1)"
jobs="$(nproc)"
flags=(-O2 -fPIC -w -D_GLIBCXX_USE_CXX11_ABI=1 ${DEFINES:-}
       -I"$native/build/include" -I"$djl/jni-include" -I"$djl/jni-include/linux" -I"$djl/api/src/main/native"
       -I"$inc" -I"$inc/torch/csrc/api/include")

if [ -z "${CXXSTD:-}" ]; then
  if echo '#include <torch/torch.h>' | g++ -x c++ -std=c++17 -fsyntax-only "${flags[@]}" - > "$out/probe-c++17.log" 2>&1; then
    CXXSTD=c++17
  else
    CXXSTD=c++20
  fi
fi
echo "build-djl-jni: $(g++ --version | head -1), -std=$CXXSTD, $jobs jobs, torch include $inc"
flags+=(-std="$CXXSTD")

compile() {  # compiles the .cc files named on stdin in parallel; each writes FILE.o or FILE.log
  xargs -P "$jobs" -I{} sh -c 'g++ "$@" -c "{}" -o "{}.o" > "{}.log" 2>&1 || rm -f "{}.o"' _ "${flags[@]}"
}

start=$(date +%s)
ls "$work"/*.cc | compile
for round in $(seq 1 "${ROUNDS:-3}"); do
  failed=()
  for f in "$work"/*.cc; do [ -e "$f.o" ] || failed+=("$f"); done
  [ ${#failed[@]} = 0 ] && break
  echo "build-djl-jni: round $round: ${#failed[@]} file(s) failed: $(for f in "${failed[@]}"; do basename "$f"; done | tr '\n' ' ')"
  retry=()
  for f in "${failed[@]}"; do
    cp "$f.log" "$out/$(basename "$f").round$round.log"
    grep -m 5 -E 'error' "$f.log" | sed 's/^/    /' | cut -c1-300
    if python3 "$here/prune_failed.py" "$f" "$f.log" | tee -a "$out/pruned.txt"; then
      retry+=("$f")
    fi
  done
  [ ${#retry[@]} = 0 ] && break
  printf '%s\n' "${retry[@]}" | compile
done
failed=()
for f in "$work"/*.cc; do [ -e "$f.o" ] || failed+=("$f"); done
echo "build-djl-jni: compiled in $(( $(date +%s) - start )) s"
if [ ${#failed[@]} != 0 ]; then
  echo "build-djl-jni: FAILED: $(for f in "${failed[@]}"; do basename "$f"; done | tr '\n' ' ')"
  for f in "${failed[@]}"; do cp "$f.log" "$out/$(basename "$f").final.log"; grep -m 10 'error' "$f.log" | cut -c1-300; done
  exit 1
fi

libs=(-ltorch -ltorch_cpu -lc10)
[ -e "$lib/libtorch_cuda.so" ] && libs+=(-ltorch_cuda -lc10_cuda)
if ! g++ -shared -o "$out/libdjl_torch.so" "$work"/*.o -Wl,-rpath,'$ORIGIN' -L"$lib" -Wl,--no-as-needed "${libs[@]}" \
    -Wl,--as-needed > "$out/link.log" 2>&1; then
  echo "build-djl-jni: link FAILED"; head -20 "$out/link.log"; exit 1
fi
grep -o 'Java_ai_djl_pytorch_jni_PyTorchLibrary_[A-Za-z0-9_]*' "$header" | sort -u > "$out/declared.txt"
nm -D --defined-only "$out/libdjl_torch.so" | grep -o 'Java_ai_djl_pytorch_jni_PyTorchLibrary_[A-Za-z0-9_]*' | sort -u \
    > "$out/defined.txt"
comm -23 "$out/declared.txt" "$out/defined.txt" > "$out/missing-jni.txt"
echo "build-djl-jni: linked $out/libdjl_torch.so ($(du -h "$out/libdjl_torch.so" | cut -f1)):" \
     "$(comm -12 "$out/declared.txt" "$out/defined.txt" | wc -l) of the $(wc -l < "$out/declared.txt") JNI functions" \
     "PyTorchLibrary declares;" \
     "missing: $(sed 's/Java_ai_djl_pytorch_jni_PyTorchLibrary_//' "$out/missing-jni.txt" | tr '\n' ' ')"
