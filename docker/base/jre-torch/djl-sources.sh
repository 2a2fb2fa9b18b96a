#!/bin/sh
# Lays out DJL's PyTorch JNI sources from an archive of DJL's repository as build-djl-jni.sh reads them: the native
# sources, the JNI header made by `javac -h` from PyTorchLibrary.java (as DJL's build.sh makes it), and the JDK's
# jni.h/jni_md.h.
#
#   djl-sources.sh ARCHIVE DEST
#
#   ARCHIVE  a .tar.gz with one top folder: GitHub's archive of a tag (djl-0.35.1/...), or stage-djl.sh's, which
#            holds only the paths below
#   DEST     made or replaced; then holds engines/pytorch/pytorch-native/{src/main/native,build/include},
#            api/src/main/native and jni-include/
#
# Needs a JDK 17 (javac, include/jni.h): JAVA_HOME, else the one javac on PATH belongs to.
set -eu
archive=$1 dest=$2
java_home=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}
jni=engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni
rm -rf "$dest"
mkdir -p "$dest"
top=$(tar -tzf "$archive" | head -n 1 | cut -d/ -f1)
tar -xzf "$archive" -C "$dest" --strip-components=1 \
    "$top/engines/pytorch/pytorch-native/src/main/native" "$top/api/src/main/native" "$top/$jni/PyTorchLibrary.java"
native=$dest/engines/pytorch/pytorch-native
mkdir -p "$native/build/include" "$dest/jni-include/linux"
# PyTorchLibrary.java uses java.* alone: compiled by itself, with no DJL jar
"$java_home/bin/javac" -nowarn -h "$native/build/include" -d "$dest/classes" "$dest/$jni/PyTorchLibrary.java"
rm -rf "$dest/classes"
cp "$java_home/include/jni.h" "$dest/jni-include/"
cp "$java_home/include/linux/jni_md.h" "$dest/jni-include/linux/"
echo "djl-sources: $top from $(basename "$archive"): $(ls "$native/src/main/native" | wc -l) native files," \
    "header $(ls "$native/build/include")" >&2
