// Package domain holds the entities, value rules, error kinds and store
// interfaces of the service. It imports only the standard library.
package domain

import (
	"errors"
	"fmt"
)

// Kind classifies an error so that the HTTP layer can map it to a status.
type Kind int

// Error kinds. KindInternal is the zero value: an unclassified error whose
// text never reaches a client.
const (
	KindInternal Kind = iota
	KindInvalid
	KindUnauthenticated
	KindForbidden
	KindNotFound
	KindConflict
	KindRateLimited
	KindUnavailable
)

var kindNames = [...]string{"internal", "invalid", "unauthenticated", "forbidden", "not found", "conflict", "rate limited", "unavailable"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// FieldError is one problem with one input field.
type FieldError struct {
	Field   string
	Message string
}

// Error is the service's classified error. Msg is safe to show to clients;
// Err is the cause, logged but never sent.
type Error struct {
	Kind   Kind
	Msg    string
	Fields []FieldError
	Err    error
}

func (e *Error) Error() string {
	switch {
	case e.Err != nil && e.Msg != "":
		return e.Msg + ": " + e.Err.Error()
	case e.Err != nil:
		return e.Err.Error()
	case e.Msg != "":
		return e.Msg
	}
	return e.Kind.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is match sentinels by identity only.
func (e *Error) Is(target error) bool { return e == target }

// E builds an error of a kind with a client-safe message.
func E(kind Kind, msg string) *Error { return &Error{Kind: kind, Msg: msg} }

// Wrap classifies a cause under a kind, keeping the cause for logs.
func Wrap(kind Kind, msg string, err error) *Error { return &Error{Kind: kind, Msg: msg, Err: err} }

// Invalid reports bad input, one entry per field.
func Invalid(fields ...FieldError) *Error {
	return &Error{Kind: KindInvalid, Msg: "Invalid request data", Fields: fields}
}

// KindOf reports the Kind of the first *Error in err's chain, or KindInternal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// AsError returns the first *Error in err's chain, or nil.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}
