package lifeboat

import "errors"

// Error kinds. Every package wraps one of these (fmt.Errorf("...: %w", ErrX))
// so callers, and the UI's one place that turns errors into plain words,
// can match them with errors.Is.
var (
	// ErrNotFound: the thing asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: input broke a rule; the message says which.
	ErrInvalid = errors.New("invalid")
	// ErrConflict: the change clashes with something already recorded.
	ErrConflict = errors.New("conflict")
	// ErrPermission: the person or device may not do this.
	ErrPermission = errors.New("permission denied")
	// ErrCorrupt: stored or received data failed an integrity check.
	ErrCorrupt = errors.New("corrupt")
	// ErrTransient: try again later (busy, locked, network).
	ErrTransient = errors.New("temporary failure")
)
