// Package reconcile moves records between Lifeboat and the hospital's core
// systems. Before downtime it imports a census (patients, where they lie and
// their active medicines) from CSV or a FHIR R4 Bundle; after recovery it
// exports downtime events as FHIR R4 transaction Bundles, sends them, and
// keeps a back-entry worklist whose status changes are themselves events.
//
// The package never imports the store. It declares what it reads (Log) and
// hands back Drafts for the caller to append in one transaction, the
// pattern syncthing's protocol package uses with its Model.
//
// Identifiers and URLs used in exported FHIR are listed in
// docs/fhir-export.md; the census CSV columns in docs/census-csv.md.
package reconcile
