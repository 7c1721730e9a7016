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
//
// # Adding an event kind
//
// A new kind is one declaration in kindSpecs (kinds.go): its constant, the
// label people see, its payload type, who may record it (Authority and
// Roles), whether it carries the recording device's version vector (Seen),
// its FHIR resources or the reason it is not exported, and the printouts
// that carry it. The store's authority rules and seen kinds, the app's
// labels on the Sync review list and the back-entry worklist, and the FHIR
// export's list of kinds are all read from it. Tests then say what else
// the kind needs and fail until it has it: a view in the store (or an
// entry in the store's list of kinds read from the log), a FHIR mapper in
// sync/reconcile if it is declared exported, and a payload that
// round-trips JSON.
package forms
