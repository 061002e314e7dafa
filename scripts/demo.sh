#!/usr/bin/env bash
# The main job: set up the engine, base images and frontend image (tests/e2e/setup.sh), build
# examples/python-node through the frontend with `docker buildx build`, run it and query it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tests/e2e/setup.sh
export DOCKER_HOST="${DOCKER_HOST:-unix:///var/run/docker.sock}"

echo "== docker buildx build -f examples/python-node/Stagefile.toml (# syntax=stagefile:dev)"
docker buildx build --load -t stagefile-example/python-node \
  -f examples/python-node/Stagefile.toml examples/python-node

echo "== docker run stagefile-example/python-node"
container=$(docker run -d -p 127.0.0.1::8000 stagefile-example/python-node)
trap 'docker rm -f "$container" >/dev/null' EXIT
address=$(docker port "$container" 8000/tcp | head -1)
for _ in $(seq 1 60); do
  if body=$(curl -fsS "http://$address/" 2>/dev/null); then
    echo "GET / -> $body"
    echo "GET /site.css -> $(curl -fsS "http://$address/site.css" | head -2 | tr '\n' ' ')"
    echo "runs as: $(docker exec "$container" id)"
    exit 0
  fi
  sleep 0.5
done
docker logs "$container" >&2
echo "the example did not answer on $address" >&2
exit 1
