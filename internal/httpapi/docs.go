package httpapi

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"

	"go.yaml.in/yaml/v3"
)

// The documentation pages and their assets, embedded: /docs and /redoc
// load nothing from another host and run no inline script, so they work
// under the strict Content-Security-Policy (the original's did not).
//
//go:embed docs/swagger.html docs/redoc.html docs/assets
var docsFS embed.FS

// docsRoutes are /docs, /redoc, their assets and /openapi.json, served
// only when DEBUG is on.
func docsRoutes(spec []byte) ([]route, error) {
	var doc any
	if err := yaml.Unmarshal(spec, &doc); err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	specJSON, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	assets, _ := fs.Sub(docsFS, "docs")
	page := func(name string) http.Handler {
		body, _ := docsFS.ReadFile("docs/" + name)
		return staticHandler("text/html; charset=utf-8", body)
	}
	return []route{
		{"GET /openapi.json", "", staticHandler("application/json", specJSON)},
		{"GET /docs", "", page("swagger.html")},
		{"GET /redoc", "", page("redoc.html")},
		{"GET /docs/assets/{file}", "", assetHandler(assets)},
	}, nil
}

// assetHandler serves the files under assets/ of fsys.
func assetHandler(fsys fs.FS) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		name := r.PathValue("file")
		data, err := fs.ReadFile(fsys, "assets/"+name)
		if err != nil {
			return errNoRoute
		}
		w.Header().Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Write(data)
		return nil
	})
}

func staticHandler(contentType string, body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Write(body)
	})
}
