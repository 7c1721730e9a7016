package forms

import (
	"strings"

	"lifeboat"
)

// Problem is one thing wrong with what someone entered, in plain words a
// clinician can act on. Field names the input it is about (a form field ID
// or a payload's JSON name; empty for the record as a whole). A Soft problem
// is unusual but possible: the UI asks the person to check and confirm
// rather than refusing the record. A hard problem (Soft false) must be put
// right before the record is saved.
type Problem struct {
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	Soft    bool   `json:"soft,omitempty"`
}

// Problems is every problem found in one record, in the order found.
// Validation functions return all of them at once so a person can fix
// everything in one pass. A nil or empty Problems means nothing is wrong.
type Problems []Problem

// Error joins the messages with "; ".
func (ps Problems) Error() string {
	msgs := make([]string, len(ps))
	for i, p := range ps {
		msgs[i] = p.Message
	}
	return strings.Join(msgs, "; ")
}

// Unwrap lets errors.Is(ps, lifeboat.ErrInvalid) match.
func (ps Problems) Unwrap() error { return lifeboat.ErrInvalid }

// Hard returns only the problems that block saving.
func (ps Problems) Hard() Problems { return ps.filter(false) }

// Soft returns only the problems that need a person to check and confirm.
func (ps Problems) Soft() Problems { return ps.filter(true) }

// HasHard reports whether any problem blocks saving.
func (ps Problems) HasHard() bool {
	for _, p := range ps {
		if !p.Soft {
			return true
		}
	}
	return false
}

// For returns the problems about one field.
func (ps Problems) For(field string) Problems {
	var out Problems
	for _, p := range ps {
		if p.Field == field {
			out = append(out, p)
		}
	}
	return out
}

// Err returns ps as an error, or nil when there are no problems. Use it
// instead of returning ps directly: a nil Problems stored in an error
// interface is not a nil error.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

func (ps Problems) filter(soft bool) Problems {
	var out Problems
	for _, p := range ps {
		if p.Soft == soft {
			out = append(out, p)
		}
	}
	return out
}
