#!/bin/bash
# Docker's health check of a service container: the readiness probe on the health port (CAAS_HEALTH_PORT, 8081 by
# default, on 127.0.0.1 inside the container). Plain bash, so the image needs no curl or wget.
set -euo pipefail
port=${CAAS_HEALTH_PORT:-8081}
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /actuator/health/readiness HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
grep -q '"status":"UP"' <&3
