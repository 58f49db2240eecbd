// Command otlpsink accepts OTLP/HTTP exports and discards them, so that a
// load run with tracing on pays for exporting spans without a collector.
//
//	go run ./bench/otlpsink -addr 127.0.0.1:4318
package main

import (
	"flag"
	"io"
	"log"
	"net/http"
	"sync/atomic"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4318", "listen address")
	flag.Parse()
	var requests, bytes atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		requests.Add(1)
		bytes.Add(n)
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	})
	go func() {
		for range time.Tick(10 * time.Second) {
			log.Printf("otlpsink: %d exports, %d bytes", requests.Load(), bytes.Load())
		}
	}()
	log.Fatal((&http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 5 * time.Second}).ListenAndServe())
}
