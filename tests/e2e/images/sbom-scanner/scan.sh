#!/bin/sh
# One SPDX document listing every regular file of the scanned image with its SHA-256.
set -e
cd "$BUILDKIT_SCAN_SOURCE"
files=$(find . -type f | sort | while read -r f; do
  sum=$(sha256sum "$f" | cut -d' ' -f1)
  printf '{"fileName": "%s", "SPDXID": "SPDXRef-File-%s", "checksums": [{"algorithm": "SHA256", "checksumValue": "%s"}]},' \
    "${f#.}" "$sum" "$sum"
done)
cat > "$BUILDKIT_SCAN_DESTINATION/sbom.spdx.json" <<JSON
{"_type": "https://in-toto.io/Statement/v0.1", "predicateType": "https://spdx.dev/Document", "subject": [],
 "predicate": {"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
  "name": "stagefile-e2e-scanner", "files": [${files%,}]}}
JSON
