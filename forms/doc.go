// Package forms holds Lifeboat's clinical rules and form engine: NHS number
// checks, NEWS2 scoring, medicines due slots and double-dose rules, the
// controlled-drugs register balance, bed states, handover and the data-driven
// form definitions trusts add themselves.
//
// It is pure Go over the standard library (and the domain package lifeboat):
// no I/O, no clocks read inside (callers pass now), so every rule is
// table-tested to the letter. Each workflow's event kinds and payload types
// live here beside its rules; the store decodes payloads into these types to
// build its projections.
package forms
