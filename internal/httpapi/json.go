package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// validator is implemented by request types that check their own values.
type validator interface {
	Valid() []domain.FieldError
}

// decode reads one JSON object from the body into a T and validates it.
// Every body problem is answered here: wrong media type (415), too large
// (413, the limit is set by limitBody), not JSON or not an object (400),
// wrong field types and invalid values (400 with per-field details).
func decode[T any](r *http.Request) (T, error) {
	var v T
	if err := checkJSONContentType(r.Header.Get("Content-Type")); err != nil {
		return v, err
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return v, errBodyTooLarge
		}
		return v, domain.Wrap(domain.KindInvalid, "Could not read the request body", err)
	}
	return v, unmarshalObject(data, &v)
}

// decodeObject decodes one JSON object nested in a body (an item of a
// batch) into a T, as decode does a whole body.
func decodeObject[T any](raw json.RawMessage) (T, error) {
	var v T
	return v, unmarshalObject(raw, &v)
}

// unmarshalObject decodes data, which must be one JSON object, into v (a
// pointer to a struct) and validates it: every problem is a KindInvalid
// naming its fields.
func unmarshalObject(data []byte, v any) error {
	data = bytes.Trim(data, " \t\r\n") // JSON's white space only
	if len(data) == 0 || data[0] != '{' {
		return domain.Invalid(domain.FieldError{Field: "body", Message: "must be a JSON object"})
	}
	// A wrong-typed field is reported with the missing ones: encoding/json
	// checks the syntax of the whole input before it assigns anything, so
	// after a type error the keys can still be walked.
	uerr := json.Unmarshal(data, v)
	var typeErr *json.UnmarshalTypeError
	if uerr != nil && !errors.As(uerr, &typeErr) {
		return jsonError(uerr)
	}
	problems, err := checkKeys(data, fieldsOf(reflect.TypeOf(v).Elem()))
	if err != nil {
		return err
	}
	if typeErr != nil {
		problems = append(domain.AsError(jsonError(typeErr)).Fields, problems...)
	}
	if len(problems) > 0 {
		return domain.Invalid(problems...)
	}
	if val, ok := v.(validator); ok {
		if fields := val.Valid(); len(fields) > 0 {
			return domain.Invalid(fields...)
		}
	}
	return nil
}

// checkJSONContentType accepts no Content-Type (read as JSON, D1),
// application/json and application/*+json.
func checkJSONContentType(ct string) error {
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return nil
	}
	return errMediaType
}

// checkKeys refuses what encoding/json would take silently in an object
// it has decoded: a field given twice (the last would win) and a key that
// names a field only when case is ignored. Other keys are ignored. It
// returns the required fields that are absent or null.
func checkKeys(data []byte, f fields) ([]domain.FieldError, error) {
	// data is one valid JSON object: walk its keys. Bit i of seen: names[i]
	// was met; of set: met with a value other than null.
	var seen, set uint64
	for i := 1; ; {
		i = skipSpace(data, i)
		if data[i] == '}' {
			return f.missing(set), nil
		}
		end := stringEnd(data, i)
		key := data[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			var s string
			json.Unmarshal(data[i:end], &s)
			key = []byte(s)
		}
		value := skipSpace(data, skipSpace(data, end)+1) // past the ':'
		if n := slices.IndexFunc(f.names, func(name string) bool { return name == string(key) }); n >= 0 && n < 64 {
			if seen&(1<<n) != 0 {
				return nil, domain.Invalid(domain.FieldError{Field: string(key), Message: "is given more than once"})
			}
			seen |= 1 << n
			if data[value] != 'n' {
				set |= 1 << n
			}
		} else if slices.ContainsFunc(f.names, func(name string) bool { return strings.EqualFold(name, string(key)) }) {
			return nil, domain.Invalid(domain.FieldError{Field: string(key), Message: "is not a field (names are case-sensitive)"})
		}
		i = skipValue(data, value)
		if i = skipSpace(data, i); data[i] == ',' {
			i++
		}
	}
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n') {
		i++
	}
	return i
}

// stringEnd returns the index just past the JSON string starting at i.
func stringEnd(data []byte, i int) int {
	for i++; data[i] != '"'; i++ {
		if data[i] == '\\' {
			i++
		}
	}
	return i + 1
}

// skipValue returns the index just past the JSON value at or after i.
func skipValue(data []byte, i int) int {
	depth := 0
	for i = skipSpace(data, i); i < len(data); i++ {
		switch data[i] {
		case '"':
			i = stringEnd(data, i) - 1
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i
			}
			depth--
		case ',':
			if depth == 0 {
				return i
			}
		}
	}
	return i
}

// fields are the JSON names of a request type's fields. A field tagged
// required:"true" must be present and not null (it is a 400 naming the
// field otherwise, decided before any use case runs).
type fields struct {
	names    []string
	required uint64 // bit i: names[i] is required
}

// missing lists the required fields whose bit is not in set.
func (f fields) missing(set uint64) []domain.FieldError {
	var out []domain.FieldError
	for i, name := range f.names {
		if f.required&^set&(1<<i) != 0 {
			out = append(out, domain.FieldError{Field: name, Message: "is required"})
		}
	}
	return out
}

// fieldsOf describes a struct type's JSON fields.
func fieldsOf(t reflect.Type) fields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(fields)
	}
	var f fields
	f.add(t)
	fieldCache.Store(t, f)
	return f
}

// add adds t's fields, and those of its embedded structs as encoding/json
// sees them.
func (f *fields) add(t reflect.Type) {
	for i := 0; t.Kind() == reflect.Struct && i < t.NumField(); i++ {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if sf.Anonymous && name == "" && sf.Type.Kind() == reflect.Struct {
			f.add(sf.Type)
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if name == "-" {
			continue
		}
		if sf.Tag.Get("required") == "true" && len(f.names) < 64 {
			f.required |= 1 << len(f.names)
		}
		f.names = append(f.names, name)
	}
}

var fieldCache sync.Map // reflect.Type → fields

func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return domain.Invalid(domain.FieldError{Field: field, Message: "must be " + jsonKind(typeErr.Type.Kind().String())})
	}
	var fe *domain.Error
	if errors.As(err, &fe) { // from a field type's own UnmarshalJSON
		return fe
	}
	return domain.Invalid(domain.FieldError{Field: "body", Message: "is not valid JSON"})
}

func jsonKind(goKind string) string {
	switch {
	case goKind == "string":
		return "a string"
	case goKind == "bool":
		return "a boolean"
	case strings.HasPrefix(goKind, "int"), strings.HasPrefix(goKind, "uint"):
		return "an integer"
	case strings.HasPrefix(goKind, "float"):
		return "a number"
	case goKind == "slice" || goKind == "array":
		return "an array"
	}
	return "an object"
}

// encode writes v as JSON with the status. It fails only when v cannot be
// encoded, before anything is written; a client that went away is not an
// error of ours.
func encode(w http.ResponseWriter, status int, v any) error {
	var data []byte
	if it, ok := v.(jsonItem); ok {
		data = it.appendJSON(make([]byte, 0, 512))
	} else {
		var err error
		if data, err = json.Marshal(v); err != nil {
			return err
		}
	}
	data = append(data, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	w.Write(data)
	return nil
}

// message is the body of the reference's plain success answers.
type message struct {
	Message string `json:"message"`
}

// optional is a JSON field that tells absent, null and a value apart.
type optional[T any] struct {
	Set   bool // present in the body, possibly null
	Null  bool
	Value T
}

func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// ptr returns the value as a pointer, nil for null or absent.
func (o optional[T]) ptr() *T {
	if !o.Set || o.Null {
		return nil
	}
	return &o.Value
}
