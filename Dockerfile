# The service image, for API and worker nodes alike: CAAS_ROLES picks what a container does (api, worker, or both).
# It packages the jar built on the host, so that the image needs no Maven and no registry but its base:
#
#   mvn -B -DskipTests package && docker build -t caas .
#
# Builds with BuildKit and with the legacy builder. Where no registry is reachable (this project's CI), pass the
# local Debian JRE made by scripts/build-base-images.sh:
#
#   docker build --build-arg JRE_IMAGE=caas-base/jre:17 -t caas .
#
# The GPU worker flavour is this image on another base: docker/base/jre-torch/Dockerfile, a libtorch (by default
# PyTorch's CUDA wheel) with DJL's JNI built against it. Its CPU variant on Debian's libtorch 1.13 is built and run
# by scripts/check-torch-base.sh; the CUDA one has not been built yet (docs/deployment.md).
ARG JRE_IMAGE=eclipse-temurin:17-jre-jammy

FROM ${JRE_IMAGE} AS layers
WORKDIR /layers
COPY service/target/caas-service.jar caas-service.jar
# Spring Boot's layers, libraries first as they change least; the engine jar, a module of this build, is in the
# application layer with the service, so that a code change rebuilds 1 MB, not the 230 MB of libraries.
RUN java -Djarmode=tools -jar caas-service.jar extract --layers --destination extracted

FROM ${JRE_IMAGE}
RUN groupadd --gid 10001 caas \
    && useradd --uid 10001 --gid caas --no-create-home --home-dir /var/lib/caas --shell /usr/sbin/nologin caas \
    && mkdir -p /data /var/lib/caas/djl \
    && chown -R caas:caas /data /var/lib/caas
WORKDIR /app
COPY --from=layers /layers/extracted/dependencies/ ./
COPY --from=layers /layers/extracted/spring-boot-loader/ ./
COPY --from=layers /layers/extracted/snapshot-dependencies/ ./
COPY --from=layers /layers/extracted/application/ ./
COPY docker/app/healthcheck.sh /usr/local/bin/caas-healthcheck
USER caas
# glibc's malloc: libtorch allocates and frees a step's temporaries (0.8 MB each for a 784x256 layer's Adam) on the
# training thread, whose arena hands freed memory back to the kernel by default, so every step faults the pages in
# again (2.25 million minor faults in 3,000 steps of the benchmark MLP at batch 1, p50 2.9 ms; with these two
# settings 143 thousand and 1.8 ms: BENCHMARKS.md). Up to 128 MB of freed memory stays with the process instead.
ENV MALLOC_TRIM_THRESHOLD_=134217728 \
    MALLOC_MMAP_THRESHOLD_=33554432
# DJL unpacks libtorch from the pytorch-native-cpu jar inside the image into its cache on first use, offline (a
# download attempt fails at once): the cache must be writable by the service user. On the jre-torch base DJL loads
# the base's libtorch and JNI (PYTORCH_LIBRARY_PATH) and unpacks nothing; the engine's native shim still goes there.
ENV CAAS_DATA_DIR=/data \
    DJL_CACHE_DIR=/var/lib/caas/djl \
    ENGINE_CACHE_DIR=/var/lib/caas/djl \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -Dai.djl.offline=true"
VOLUME /data
EXPOSE 8080
# the readiness probe on the loopback health port, which every node serves whatever its roles
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 CMD ["caas-healthcheck"]
ENTRYPOINT ["java", "-jar", "/app/caas-service.jar"]
