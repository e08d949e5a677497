#!/bin/sh
# Validate an OpenAPI document with a real validator from npm
# (@apidevtools/swagger-parser: the OpenAPI 3.1 schema, then every $ref).
#
#   validate_openapi.sh DOCUMENT CACHE_DIR
#
# The validator is installed into CACHE_DIR on first use (the npm registry
# must be reachable then) and reused afterwards.
set -eu
doc=$1
cache=$2
version=10.1.1 # works on Node 18 (Debian 12) and later
command -v node >/dev/null || { echo "validate_openapi: node is not installed (Debian: nodejs)" >&2; exit 1; }
marker="$cache/node_modules/@apidevtools/swagger-parser/package.json"
if ! grep -q "\"version\": \"$version\"" "$marker" 2>/dev/null; then
	command -v npm >/dev/null || { echo "validate_openapi: npm is not installed" >&2; exit 1; }
	mkdir -p "$cache"
	npm install --prefix "$cache" --no-audit --no-fund --loglevel=error \
		"@apidevtools/swagger-parser@$version" >&2
fi
NODE_PATH="$cache/node_modules" node - "$doc" <<'JS'
const SwaggerParser = require("@apidevtools/swagger-parser");
const doc = process.argv[2];
SwaggerParser.validate(doc)
	.then((api) => {
		const operations = Object.values(api.paths).reduce((n, p) => n + Object.keys(p).length, 0);
		console.log(`${doc}: valid OpenAPI ${api.openapi}, ${operations} operations`);
	})
	.catch((e) => {
		console.error(`${doc}: ${e.message}`);
		process.exit(1);
	});
JS
