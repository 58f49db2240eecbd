// Package api embeds the OpenAPI document of the service, openapi.yaml,
// which the tests hold to the routes and to every request and response of
// the suite.
package api

import _ "embed"

// OpenAPI is the document, as YAML.
//
//go:embed openapi.yaml
var OpenAPI []byte
