#!/usr/bin/env bash
# Runs the README's walk-through, the bash block as written, against a service this script starts from the built
# jar on other ports (PORT, CAAS_HEALTH_PORT) and an empty data folder (CAAS_DATA_DIR), so that a walk-through that
# hard-codes port 8080 or ./data fails here. Checks that both jobs succeeded and that the report of the second (the
# fine-tuned ResNet) gives top-1 before and after and answers both targets. Needs the jar (mvn -B -DskipTests
# package) and ./testdata (scripts/fetch-testdata.sh). About 4 minutes on the 2-core VM.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
jar="$root/service/target/caas-service.jar"
[[ -f "$jar" ]] || { echo "walkthrough-check: $jar is missing: mvn -B -DskipTests package" >&2; exit 1; }
work="$(mktemp -d)"
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

export PORT="${WALK_PORT:-18480}" CAAS_HEALTH_PORT="${WALK_HEALTH_PORT:-18481}" CAAS_DATA_DIR="$work/data"
java -jar "$jar" > "$work/service.log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$CAAS_HEALTH_PORT/actuator/health/readiness" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { tail -20 "$work/service.log"; echo "walkthrough-check: the service stopped" >&2; exit 1; }
  sleep 1
done

# the first bash block that starts with BASE=, as the README writes it
awk '/^```bash$/ { block = 1; lines = ""; next }
     /^```$/ && block { if (lines ~ /^BASE=/) { printf "%s", lines; exit } block = 0; next }
     block { lines = lines $0 "\n" }' "$root/README.md" > "$work/walk.sh"
[[ -s "$work/walk.sh" ]] || { echo "walkthrough-check: no walk-through block in README.md" >&2; exit 1; }
mkdir "$work/cwd"
ln -s "$root/testdata" "$work/cwd/testdata"
ln -s "$root/examples" "$work/cwd/examples"
(cd "$work/cwd" && bash -e "$work/walk.sh") > "$work/walk.out" 2> "$work/walk.err" || {
  tail -20 "$work/walk.err"; tail -c 2000 "$work/walk.out"; tail -20 "$work/service.log"
  echo "walkthrough-check: the walk-through failed" >&2; exit 1; }

cd "$work/cwd"
for job in job.json job2.json; do
  id=$(sed -E 's/^\{"id":"([^"]+)".*/\1/' "$job")
  status=$(curl -s -H "Authorization: Bearer $(sed -E 's/.*"key":"([^"]+)".*/\1/' key.json)" \
           "http://localhost:$PORT/v1/jobs/$id" | grep -Eo '"status":"[a-z]+"')
  [[ "$status" == '"status":"succeeded"' ]] || { echo "walkthrough-check: $job ended $status" >&2; exit 1; }
done
report=$(grep -Eo '"(top1Accuracy|accuracyDelta|speedupReached|speedupMet|accuracyDropMet)":[^,}]*' "$work/walk.out")
for field in top1Accuracy accuracyDelta speedupMet accuracyDropMet; do
  grep -q "\"$field\"" <<< "$report" || { echo "walkthrough-check: the report gave no $field" >&2; exit 1; }
done
echo "walkthrough-check: passed on port $PORT with data in a fresh folder; the fine-tuned ResNet's report:"
echo "$report" | sed 's/^/  /'
