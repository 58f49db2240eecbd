package httpapi

// FuzzDecodeBody runs the body decoder of every request type on the same
// bytes, without a server (so it explores the JSON far faster than the
// HTTP targets): an accepted body is a JSON object and holds what the
// handler then relies on, a refused one is a 400 naming its fields.

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// jsonObject reports whether body is one JSON object (RFC 8259, its white
// space only).
func jsonObject(body []byte) bool {
	trimmed := bytes.Trim(body, " \t\r\n")
	return len(trimmed) > 0 && trimmed[0] == '{' && json.Valid(body)
}

// decodeResult runs decode[T] and checks what every type shares: an
// accepted body is a JSON object, a refusal is a 400 with field details.
func decodeResult[T any](t *testing.T, body []byte) (T, bool) {
	t.Helper()
	v, err := decodeAs[T](body)
	if err == nil {
		if !jsonObject(body) {
			t.Errorf("decode[%T] accepted %s, which is not a JSON object", v, clipQ(body, 300))
		}
		f := fieldsOf(reflect.TypeFor[T]())
		if k, ok := foldedKey(body, f.names); ok {
			t.Errorf("decode[%T] accepted %s, whose key %q is a field name only when case is ignored", v, clipQ(body, 300), k)
		}
		var keys map[string]json.RawMessage
		json.Unmarshal(body, &keys)
		for i, name := range f.names {
			if raw := keys[name]; f.required&(1<<i) != 0 && (raw == nil || string(raw) == "null") {
				t.Errorf("decode[%T] accepted %s without the required %s", v, clipQ(body, 300), name)
			}
		}
		return v, true
	}
	st, eb := describe(err)
	if st.code != 400 || eb.Error.Code != "VALIDATION_ERROR" || len(eb.Error.Details) == 0 {
		t.Errorf("decode[%T](%s) = %d %+v, want a 400 with details", v, clipQ(body, 300), st.code, eb)
	}
	for _, d := range eb.Error.Details {
		if d.Field == "" || d.Message == "" {
			t.Errorf("decode[%T](%s): detail %+v without field or message", v, clipQ(body, 300), d)
		}
	}
	if !jsonObject(body) && !(len(eb.Error.Details) == 1 && eb.Error.Details[0].Field == "body") {
		t.Errorf("decode[%T](%s) = %+v, want the one detail on body", v, clipQ(body, 300), eb.Error.Details)
	}
	return v, false
}

func FuzzDecodeBody(f *testing.F) {
	addBytes(f, credentialSeeds...)
	addBytes(f, legacySeeds...)
	addBytes(f, nastyJSON...)
	addBytes(f,
		`{"status":"completed","is_favorite":true,"score":10,"notes":"Great"}`, `{"score":null,"notes":null}`,
		`{"title_id":"one-piece-100","position_seconds":300.5,"duration_seconds":1440,"client_updated_at":1767855600000}`,
		`{"title_id":"bleach","position_seconds":4,"duration_seconds":null}`, `{"is_active":false}`, `{"is_active":null}`,
		`{"current_password":"correct-horse-1","new_password":"battery-staple-2"}`, `{"password":"correct-horse-1"}`,
		`{"progress":[{"animeId":"a","episodeNumber":1,"currentTime":1,"updatedAt":1}],"savedSeries":[{"id":"s","savedAt":1}]}`,
	)
	f.Fuzz(func(t *testing.T, body []byte) {
		decodeResult[credentials](t, body)
		decodeResult[changePasswordRequest](t, body)
		decodeResult[struct {
			Password string `json:"password"`
		}](t, body)
		if in, ok := decodeResult[libraryPatchRequest](t, body); ok && len(in.patch().Check()) > 0 {
			t.Errorf("library patch %s accepted with %v", clipQ(body, 300), in.patch().Check())
		}
		decodeResult[setActiveRequest](t, body)
		if in, ok := decodeResult[progressRequest](t, body); ok {
			if !in.DurationSeconds.Set {
				t.Fatalf("progress %s accepted without duration_seconds: %+v", clipQ(body, 300), in)
			}
			if domain.CheckID("", in.TitleID) != nil || domain.CheckPosition("", in.PositionSeconds) != nil ||
				domain.CheckPosition("", in.DurationSeconds.Value) != nil || in.ClientUpdatedAt != nil && *in.ClientUpdatedAt < 0 {
				t.Errorf("progress %s accepted with invalid values: %+v", clipQ(body, 300), in)
			}
		}
		in, ok := decodeResult[legacyRequest](t, body)
		if !ok {
			return
		}
		if in.Provider != nil && domain.CheckProvider("", *in.Provider) != nil {
			t.Errorf("legacy import %s accepted with provider %q", clipQ(body, 300), *in.Provider)
		}
		for _, raw := range in.Progress {
			checkLegacyItem(t, raw, decodeLegacyProgress(raw).Problem, "animeId", "episodeNumber", "currentTime", "duration", "updatedAt")
		}
		for _, raw := range in.SavedSeries {
			checkLegacyItem(t, raw, decodeLegacySeries(raw).Problem, "id", "savedAt")
		}
	})
}

// checkLegacyItem holds the reason an item is skipped: only objects are
// decoded, and a reason names the field at fault and what it must be.
func checkLegacyItem(t *testing.T, raw json.RawMessage, problem string, fields ...string) {
	t.Helper()
	if problem == "" {
		if raw[0] != '{' {
			t.Errorf("legacy item %s decoded though it is not an object", clipQ(raw, 300))
		}
		return
	}
	if problem == "must be an object" {
		return
	}
	field, _, _ := strings.Cut(problem, " ")
	known := false
	for _, f := range fields {
		known = known || f == field
	}
	wrongType := map[string]bool{"episodeNumber": true, "updatedAt": true, "savedAt": true}[field] && strings.HasSuffix(problem, "must be a string")
	if !known {
		t.Errorf("legacy item %s: reason %q does not name a field of the item", clipQ(raw, 300), problem)
	}
	if wrongType {
		t.Errorf("legacy item %s: reason %q, but %s is an integer", clipQ(raw, 300), problem, field)
	}
}
