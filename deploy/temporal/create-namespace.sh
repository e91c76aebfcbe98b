#!/bin/sh
# Create the namespace Baton uses and register Baton's search attributes on it.
set -eu
NS=${BATON_TEMPORAL_NAMESPACE:-default}
ATTRS=/deploy/temporal/search-attributes.txt

until temporal operator cluster health --address "${TEMPORAL_ADDRESS}" >/dev/null 2>&1; do
  echo "waiting for Temporal at ${TEMPORAL_ADDRESS}"; sleep 2
done
temporal operator namespace describe --address "${TEMPORAL_ADDRESS}" -n "$NS" >/dev/null 2>&1 \
  || temporal operator namespace create --address "${TEMPORAL_ADDRESS}" -n "$NS" --retention 30d

grep -v '^#' "$ATTRS" | grep '=' | while IFS='=' read -r name type; do
  temporal operator search-attribute create --address "${TEMPORAL_ADDRESS}" -n "$NS" \
    --name "$name" --type "$type" --yes >/dev/null 2>&1 || true
done
temporal operator search-attribute list --address "${TEMPORAL_ADDRESS}" -n "$NS"
