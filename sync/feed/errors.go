package feed

import (
	"errors"
	"fmt"

	"lifeboat"
)

// The kinds of a failed pull, matched with errors.Is, so the runner and
// feed.status can say which of three things went wrong. A census the
// import checks refused is the third: an *reconcile.ImportError (and a
// search answer that is not a FHIR Bundle), both lifeboat.ErrInvalid.
var (
	// ErrUnreachable: the core system did not answer (connection
	// refused or reset, a timeout, DNS) or answered that it is not
	// working (5xx, 429). Waiting may be enough; it is what an outage
	// looks like.
	ErrUnreachable = fmt.Errorf("the core system is unreachable: %w", lifeboat.ErrTransient)
	// ErrRefused: the core system answered and said no (401, 403, a
	// search it does not accept) or its certificate is not trusted.
	// Someone must change the configuration, the token or the server.
	ErrRefused = errors.New("the core system refused the feed")
)

// pullError is a failed request in plain words an IT analyst can act on
// ("HTTP 401 from https://pas.example/fhir/Encounter: the token was
// refused"), of one kind. Its text never holds a token, a secret, a query
// string or a response body: any of them may carry a credential or
// patient data.
type pullError struct {
	kind error // ErrUnreachable, ErrRefused or lifeboat.ErrInvalid
	msg  string
	// status is the HTTP status, or 0 when there was no answer.
	status int
}

func (e *pullError) Error() string { return e.msg }

// Unwrap makes errors.Is(err, e.kind) true.
func (e *pullError) Unwrap() error { return e.kind }

func unreachable(format string, args ...any) error {
	return &pullError{kind: ErrUnreachable, msg: fmt.Sprintf(format, args...)}
}

func refused(format string, args ...any) error {
	return &pullError{kind: ErrRefused, msg: fmt.Sprintf(format, args...)}
}

func badData(format string, args ...any) error {
	return &pullError{kind: lifeboat.ErrInvalid, msg: fmt.Sprintf(format, args...)}
}
