package httpapi

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The documentation pages and their assets, embedded: /docs and /redoc
// load nothing from another host and run no inline script, so they work
// under the strict Content-Security-Policy (the original's did not). The
// large vendored assets are embedded gzipped (NAME.gz, written by
// docs/update.sh): 3 MB less in the binary, and less to send.
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

// assetHandler serves the files under assets/ of fsys. A file stored as
// NAME.gz is served as NAME: as it is to a client that accepts gzip,
// decompressed to one that does not.
func assetHandler(fsys fs.FS) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		name := r.PathValue("file")
		data, err := fs.ReadFile(fsys, "assets/"+name)
		gzipped := false
		if err != nil {
			data, err = fs.ReadFile(fsys, "assets/"+name+".gz")
			gzipped = true
		}
		if err != nil || path.Ext(name) == ".gz" {
			return errNoRoute
		}
		h := w.Header()
		h.Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
		h.Set("Cache-Control", "public, max-age=3600")
		if !gzipped {
			w.Write(data)
			return nil
		}
		h.Set("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			h.Set("Content-Encoding", "gzip")
			h.Set("Content-Length", strconv.Itoa(len(data)))
			w.Write(data)
			return nil
		}
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("docs asset %s: %w", name, err)
		}
		io.Copy(w, zr)
		return nil
	})
}

// acceptsGzip reads an Accept-Encoding header: gzip listed without q=0,
// or else * without q=0.
func acceptsGzip(header string) bool {
	star := false
	for _, item := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(item, ";")
		q, hasQ := strings.CutPrefix(strings.TrimSpace(params), "q=")
		v, err := strconv.ParseFloat(q, 64)
		wanted := !hasQ || (err == nil && v > 0)
		switch strings.ToLower(strings.TrimSpace(coding)) {
		case "gzip":
			return wanted
		case "*":
			star = wanted
		}
	}
	return star
}

func staticHandler(contentType string, body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Write(body)
	})
}
