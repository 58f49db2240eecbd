package httpapi

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromium finds Debian's Chromium; without it the browser test is
// skipped, except under CI (.ci/run installs it).
func chromium(t *testing.T) string {
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (apt-get install chromium)")
	}
	t.Skip("needs Chromium (apt-get install chromium); .ci/run installs it")
	return ""
}

// A real browser renders the operations on /docs and /redoc under the
// service's Content-Security-Policy, and asks no host but the server.
func TestDocsRenderInABrowser(t *testing.T) {
	exe := chromium(t)
	api := newTestAPI(t, withDocs())
	srv := httptest.NewServer(api.srv)
	defer srv.Close()

	alloc, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()))
	defer cancel()

	pages := []struct {
		path, operations string // a selector matching one element per rendered operation
	}{
		{"/docs", ".opblock"},
		{"/redoc", `[data-section-id^="operation/"]`},
	}
	doc, _ := documentOperations(t)
	for _, p := range pages {
		t.Run(p.path, func(t *testing.T) {
			ctx, cancel := chromedp.NewContext(alloc)
			defer cancel()
			ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
			defer cancel()
			var mu sync.Mutex
			var requested, problems []string
			err := chromedp.Listen(ctx, func(ev any) {
				mu.Lock()
				defer mu.Unlock()
				switch e := ev.(type) {
				case *network.EventRequestWillBeSent:
					requested = append(requested, e.Request.URL)
				case *runtime.EventExceptionThrown:
					msg := e.ExceptionDetails.Text
					if e.ExceptionDetails.Exception != nil {
						msg += " " + e.ExceptionDetails.Exception.Description
					}
					problems = append(problems, "exception: "+msg)
				case *log.EventEntryAdded:
					if e.Entry.Level == log.EntryLevelError {
						problems = append(problems, "console: "+e.Entry.Text+" "+e.Entry.URL)
					}
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
				t.Fatal(err)
			}
			if _, err := chromedp.Call(ctx, log.Enable, cdp.Empty{}); err != nil {
				t.Fatal(err)
			}
			err = chromedp.Do(ctx, chromedp.Navigate(srv.URL+p.path), chromedp.WaitVisible(chromedp.CSS(p.operations)))
			if err != nil {
				t.Fatalf("render %s: %v (problems: %v)", p.path, err, problems)
			}
			count, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('`+p.operations+`').length`))
			if err != nil {
				t.Fatal(err)
			}
			if count < doc {
				t.Errorf("%s rendered %d operations, want the document's %d", p.path, count, doc)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, u := range requested {
				if !strings.HasPrefix(u, srv.URL) && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "blob:") {
					t.Errorf("%s asked another host: %s", p.path, u)
				}
			}
			for _, pr := range problems {
				t.Errorf("%s: %s", p.path, pr)
			}
			if len(requested) < 3 {
				t.Errorf("%s: only %d requests seen: the network listener saw nothing", p.path, len(requested))
			}
		})
	}
}
