package storetest

import (
	"regexp"
	"testing"
)

var installationIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

func testInstallationID(t *testing.T, open Opener) {
	t.Run("installation id is stable and differs between databases", func(t *testing.T) {
		t.Parallel()
		a, b := open(t), open(t)
		first, err := a.InstallationID(t.Context())
		if err != nil || !installationIDPattern.MatchString(first) {
			t.Fatalf("InstallationID() = %q, %v; want 32 hex digits", first, err)
		}
		if again, err := a.InstallationID(t.Context()); again != first || err != nil {
			t.Errorf("InstallationID() again = %q, %v; want %q", again, err, first)
		}
		if other, err := b.InstallationID(t.Context()); other == first || err != nil {
			t.Errorf("InstallationID() of another database = %q, %v; want an id other than %q", other, err, first)
		}
	})
}
