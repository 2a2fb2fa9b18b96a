#!/usr/bin/env bash
# Runs docker-compose.yml as written and drives one fine-tuning job through it: the three services healthy, an
# operator makes a tenant and a key, uploads openWakeWord's "hey jarvis" head (a real PyTorch export, from
# scripts/fetch-testdata.sh) and a dataset of its inputs, and asks for svd with fineTune (distillation: the dataset
# has no labels); the job must succeed on the worker container, which unpacks libtorch from the image offline.
# The stack and its volumes are removed at the end, whatever happened.
#
#   bash scripts/compose-smoke.sh
#
# COMPOSE overrides the client (default: docker-compose, else docker compose); the CAAS_* variables of
# docker-compose.yml pick the images (CAAS_IMAGE must exist: the script does not build). CAAS_PORT (default 18080)
# is where the API is published on 127.0.0.1.
#
# For an app image on another libtorch (scripts/check-torch-base.sh; unset, nothing changes):
# CAAS_SMOKE_WORKER_MAPS  extended regular expressions, space-separated, each of which a line of the worker JVM's
#                         /proc/1/maps must match once the job is done (the libraries it runs on); the lines are printed
# CAAS_SMOKE_TRAINING_DEVICE  where the worker must say it trains: CPU (default), or GPU 0 on a GPU worker
# CAAS_SMOKE_FUSED_ADAM   required (default): the worker's Adam must have run libtorch's fused kernel; optional: only
#                         say whether it did (libtorch 1.13 has no such kernel for the CPU)
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -n "${COMPOSE:-}" ]]; then
    read -r -a compose <<< "$COMPOSE"
elif command -v docker-compose >/dev/null; then
    compose=(docker-compose)
else
    compose=(docker compose)
fi
project=caas-smoke-$$
export CAAS_PORT=${CAAS_PORT:-18080}
dc() { "${compose[@]}" -p "$project" "$@"; }
work=$(mktemp -d /tmp/caas-compose-smoke.XXXXXX)
logs=${CAAS_SMOKE_LOGS:-/tmp/caas-compose-smoke.log}
rm -f "$logs"

finish() {
    local rc=$?
    if [[ $rc -ne 0 ]]; then
        dc logs --no-color > "$logs" 2>&1 || true
        echo "compose-smoke: FAILED; the services' logs are in $logs" >&2
    fi
    dc down -v --remove-orphans >/dev/null 2>&1 || true
    rm -rf "$work"
    exit $rc
}
trap finish EXIT

started=$(date +%s)
# up -d returns once api is healthy (worker depends on it) and worker is started
dc up -d --no-build
for _ in $(seq 1 60); do
    unhealthy=$(dc ps -q | xargs docker inspect -f '{{.Name}} {{.State.Health.Status}}' | grep -v ' healthy$' || true)
    [[ -z "$unhealthy" ]] && break
    sleep 5
done
[[ -z "$unhealthy" ]] || { echo "compose-smoke: not healthy: $unhealthy" >&2; exit 1; }
echo "compose-smoke: postgres, api and worker healthy after $(( $(date +%s) - started )) s"

base=http://127.0.0.1:$CAAS_PORT
admin=$(dc exec -T api cat /data/secrets/admin-token)
field() { sed -E "s/.*\"$1\":\"([^\"]+)\".*/\1/"; }
tenant=$(curl -sf -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' -d '{"name":"compose-smoke"}' \
    "$base/v1/admin/tenants" | field id)
key=$(curl -sf -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' -d '{"name":"smoke"}' \
    "$base/v1/admin/tenants/$tenant/keys" | field key)
auth="Authorization: Bearer $key"

model=$(curl -sf -H "$auth" -F file=@testdata/openwakeword/package/models/hey_jarvis_v0.1.onnx "$base/v1/models" | field id)

# 64 inputs of the head's shape [16, 96] as an .npz with x alone (uint8 noise: distillation needs no labels)
{
    header="{'descr': '|u1', 'fortran_order': False, 'shape': (64, 16, 96), }"
    pad=$(( 64 - (10 + ${#header} + 1) % 64 ))
    printf '\x93NUMPY\x01\x00'
    printf "\\x$(printf %02x $(( (${#header} + pad + 1) % 256 )))\\x$(printf %02x $(( (${#header} + pad + 1) / 256 )))"
    printf '%s%*s\n' "$header" "$pad" ''
    head -c $(( 64 * 16 * 96 )) /dev/urandom
} > "$work/x.npy"
(cd "$work" && jar --create --no-manifest --file inputs.npz x.npy)
dataset=$(curl -sf -H "$auth" -F file=@"$work/inputs.npz" "$base/v1/datasets" | field id)

job=$(curl -sf -H "$auth" -H 'Content-Type: application/json' -d "{\"modelId\":\"$model\",\"method\":\"svd\",
    \"parameters\":{\"energy\":0.9,\"skipFirstAndLast\":false,\"fineTune\":true,\"onlyIfFaster\":false,\"whitening\":\"none\"},
    \"trainDatasetId\":\"$dataset\",\"budget\":{\"maxSteps\":30,\"batchSize\":1}}" "$base/v1/jobs" | field id)
for _ in $(seq 1 120); do
    state=$(curl -sf -H "$auth" "$base/v1/jobs/$job")
    grep -Eq '"status":"(succeeded|failed|cancelled)"' <<< "$state" && break
    sleep 3
done
echo "compose-smoke: job $state"
grep -q '"status":"succeeded"' <<< "$state"
worker=$(dc ps -q worker | xargs docker inspect -f '{{.Config.Hostname}}')
grep -q "\"worker\":\"$worker" <<< "$state" \
    || { echo "compose-smoke: the job did not run on the worker container ($worker)" >&2; exit 1; }
# Outputs are read into variables before grep -q looks at them: grep -q stops at its first match, and under pipefail
# the writer it leaves behind (killed by SIGPIPE, or failing on the closed pipe) would fail a check that passed.
events=$(curl -sf -H "$auth" "$base/v1/jobs/$job/events?limit=1000")
grep -q '"name":"loss"' <<< "$events" \
    || { echo "compose-smoke: no training loss recorded" >&2; exit 1; }
curl -sf -H "$auth" -o "$work/compressed.onnx" "$base/v1/jobs/$job/artifact"
worker_log=$(dc logs --no-color worker 2>&1)
# The worker settled at start where its jobs train (caas.jobs.training-device), and the job's log names that device.
expected=${CAAS_SMOKE_TRAINING_DEVICE:-CPU}
grep -q "jobs fine-tune on the $expected (caas.jobs.training-device=" <<< "$worker_log" \
    || { echo "compose-smoke: the worker did not say it trains on the $expected" >&2; exit 1; }
grep -q "fine-tuning on the $expected: " <<< "$events" \
    || { echo "compose-smoke: the job's log does not say it fine-tuned on the $expected" >&2; exit 1; }
echo "compose-smoke: the worker trains on the $expected, as the job's log says"
# On an AMD host the worker must have let libtorch's oneMKL run its processor's kernels (the engine's shim, unpacked
# into the image's DJL cache as the service user), not the generic ones that take twice as long.
if grep -q AuthenticAMD /proc/cpuinfo; then
    kernels=$(grep -o "oneMKL runs its [A-Za-z0-9-]* kernels" <<< "$worker_log" | head -1 || true)
    if [ -z "$kernels" ] || grep -q generic <<< "$kernels"; then
        echo "compose-smoke: the worker's oneMKL: ${kernels:-not logged}" >&2
        exit 1
    fi
    echo "compose-smoke: worker: $kernels"
fi
# Nor may its oneDNN convolutions have been found wrong and turned off (which is what one-byte cache sizes, on a host
# whose CPUID reports none, did before the engine repaired them): that costs every CNN job oneDNN's speed.
if grep -E "oneDNN convolution was off|cannot read oneDNN's cache sizes" <<< "$worker_log"; then
    echo "compose-smoke: the worker's oneDNN convolutions were wrong or its cache sizes unreadable" >&2
    exit 1
fi
# Its Adam must have run libtorch's fused kernel (FusedAdam, called through JNA), not fallen back to DJL's slower one,
# and its batched convolutions must not have been found wrong in channels-last order.
if ! grep -q "Adam updates run libtorch's fused kernel" <<< "$worker_log"; then
    [[ ${CAAS_SMOKE_FUSED_ADAM:-required} == optional ]] \
        || { echo "compose-smoke: the worker's Adam did not run libtorch's fused kernel" >&2; exit 1; }
    echo "compose-smoke: the worker's Adam ran DJL's kernel, not libtorch's fused one (CAAS_SMOKE_FUSED_ADAM=optional)"
fi
if grep -E "channels-last convolution is off" <<< "$worker_log"; then
    echo "compose-smoke: the worker's channels-last convolutions were wrong" >&2
    exit 1
fi
if [[ -n "${CAAS_SMOKE_WORKER_MAPS:-}" ]]; then
    # the service is the container's first process (the image's ENTRYPOINT runs java itself)
    maps=$(dc exec -T worker cat /proc/1/maps | awk 'NF == 6 { print $6 }' | sort -u)
    read -r -a patterns <<< "$CAAS_SMOKE_WORKER_MAPS"
    for pattern in "${patterns[@]}"; do
        found=$(grep -E "$pattern" <<< "$maps" || true)
        [[ -n "$found" ]] || { echo "compose-smoke: the worker's JVM maps nothing that matches $pattern" >&2; exit 1; }
        echo "compose-smoke: worker's JVM maps $(tr '\n' ' ' <<< "$found")"
    done
fi
echo "compose-smoke: passed in $(( $(date +%s) - started )) s: fine-tuned on the worker container $worker," \
    "artifact $(stat -c %s "$work/compressed.onnx") bytes"
