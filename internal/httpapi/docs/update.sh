#!/usr/bin/env bash
# update.sh — refresh the documentation assets served by /docs and /redoc
# from the npm registry (the binary embeds them: no page loads anything
# from another host). Pin the versions here; record them in VERSIONS.
#
#   internal/httpapi/docs/update.sh [swagger-ui-dist version] [redoc version]
set -euo pipefail
SWAGGER=${1:-5.35.0}
REDOC=${2:-3.0.1}
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
printf 'swagger-ui-dist %s\nredoc %s\n' "$SWAGGER" "$REDOC" > "$HERE/VERSIONS"
echo "docs assets: swagger-ui-dist $SWAGGER, redoc $REDOC"
