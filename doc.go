// Package lifeboat holds the domain types every other package shares: the
// signed event envelope, the hybrid logical clock, identifiers and the small
// set of error kinds. It depends on the standard library only.
//
// Lifeboat keeps a ward's clinical work recorded while the hospital's core
// IT is down and hands it back afterwards. The pieces, with dependencies
// pointing one way (down this list):
//
//	cmd/lifeboat    the binary: wires the real pieces together (GUI, subcommands)
//	app             Fyne screens and view models over interfaces
//	sync/mesh       peer-to-peer sync over memberlist (declares what it needs)
//	sync/reconcile  census import, FHIR R4 export and send (declares what it needs)
//	store           encrypted SQLite: event log, projections, keys, users, audit
//	forms           form definitions, validation and clinical rules (NEWS2, ...)
//	lifeboat        this package: Event, HLC, IDs, error kinds
//
// Every change is an Event: immutable, signed by the device that made it,
// chained to that device's previous event by hash, and attributed to the
// person who made it. Corrections are new events that point at the old one;
// nothing deletes or overwrites an event. Views such as the patient list are
// projections rebuilt from the log.
package lifeboat
