# syntax=docker/dockerfile:1.7
#
# One image for API and worker nodes; CAAS_ROLES picks what a container does.
#   CPU (default):          docker build -t caas .
#   CUDA 12.8 GPU worker:   docker build --build-arg FLAVOUR=cu128 -t caas:cu128 .
#
# The GPU flavour takes libtorch 2.7.1+cu128 from PyTorch's wheel and points DJL at it: DJL publishes no CUDA
# native jar for PyTorch 2.7.1 on Maven Central, but the pytorch-jni jar the service already ships carries the
# cu128 JNI library that matches it.
ARG FLAVOUR=cpu

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
COPY .mvn .mvn
COPY engine/pom.xml engine/
COPY service/pom.xml service/
COPY engine engine
COPY service service
COPY api-spec api-spec
COPY scripts scripts
RUN --mount=type=cache,target=/root/.m2 mvn -B -q -DskipTests package \
    && cp service/target/caas-service.jar /caas-service.jar

FROM eclipse-temurin:17-jre-jammy AS runtime-cpu

FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu22.04 AS runtime-cu128
RUN apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jre-headless python3-pip \
    && pip3 install --no-cache-dir --target /opt/torch torch==2.7.1 --index-url https://download.pytorch.org/whl/cu128 \
    && apt-get purge -y python3-pip && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
ENV PYTORCH_LIBRARY_PATH=/opt/torch/torch/lib \
    PYTORCH_VERSION=2.7.1 \
    PYTORCH_FLAVOR=cu128

FROM runtime-${FLAVOUR}
RUN groupadd --system caas && useradd --system --gid caas --uid 10001 --home-dir /var/lib/caas caas \
    && mkdir -p /data /var/lib/caas/djl && chown -R caas:caas /data /var/lib/caas
COPY --from=build /caas-service.jar /app/caas-service.jar
USER caas
# DJL unpacks its native library into its cache on first use; it must be writable by the service user.
# glibc's malloc: libtorch allocates and frees a step's temporaries (0.8 MB each for a 784x256 layer's Adam) on the
# training thread, whose arena hands freed memory back to the kernel by default, so every step faults the pages in
# again (2.25 million minor faults in 3,000 steps of the benchmark MLP at batch 1, p50 2.9 ms; with these two
# settings 143 thousand and 1.8 ms: BENCHMARKS.md). Up to 128 MB of freed memory stays with the process instead.
ENV MALLOC_TRIM_THRESHOLD_=134217728 \
    MALLOC_MMAP_THRESHOLD_=33554432
ENV CAAS_DATA_DIR=/data \
    DJL_CACHE_DIR=/var/lib/caas/djl \
    ENGINE_CACHE_DIR=/var/lib/caas/djl \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -Dai.djl.offline=true"
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["java", "-jar", "/app/caas-service.jar"]
