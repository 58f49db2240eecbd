#!/usr/bin/env bash
# update.sh — refresh the documentation assets served by /docs and /redoc
# from the npm registry (the binary embeds them, gzipped: no page loads
# anything from another host). Pin the versions here; record them in VERSIONS.
#
#   internal/httpapi/docs/update.sh [swagger-ui-dist version] [redoc version]
set -euo pipefail
SWAGGER=${1:-5.35.0}
REDOC=${2:-2.5.4}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack --silent "swagger-ui-dist@$SWAGGER" "redoc@$REDOC" >/dev/null
mkdir swagger redoc
tar xzf "swagger-ui-dist-$SWAGGER.tgz" -C swagger
tar xzf "redoc-$REDOC.tgz" -C redoc
cp swagger/package/swagger-ui-bundle.js swagger/package/swagger-ui.css "$HERE/assets/"
cp swagger/package/LICENSE "$HERE/assets/swagger-ui.LICENSE"
cp redoc/package/bundles/redoc.standalone.js "$HERE/assets/"
cp redoc/package/LICENSE "$HERE/assets/redoc.LICENSE"
# Drop the source-map comments: the maps are not shipped.
sed -i '/^\/\/# sourceMappingURL=/d' "$HERE/assets/"*.js
# ReDoc's side menu shows a logo from its CDN: swap it for an empty inline
# SVG, so that the page asks no other host.
EMPTY_SVG='data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4='
sed -i "s#https://cdn.redoc.ly/redoc/logo-mini.svg#$EMPTY_SVG#g" "$HERE/assets/redoc.standalone.js"
if grep -q 'cdn\.redoc\.ly' "$HERE/assets/redoc.standalone.js"; then
  echo "redoc $REDOC still loads from cdn.redoc.ly: update this script" >&2; exit 1
fi
# Stored gzipped (docs.go serves NAME.gz as NAME): 3 MB less in the binary.
# -n leaves out name and time, so the same version gives the same bytes.
for f in swagger-ui-bundle.js swagger-ui.css redoc.standalone.js; do
  gzip -9 -n -f "$HERE/assets/$f"
done
printf 'swagger-ui-dist %s\nredoc %s\n' "$SWAGGER" "$REDOC" > "$HERE/VERSIONS"
echo "docs assets: swagger-ui-dist $SWAGGER, redoc $REDOC"
