// Package feed keeps a ward's census current while the core system is up,
// so that an outage starts with today's patients, medicines and allergies
// on every device. A Source pulls the whole current census: from the core
// system's FHIR R4 REST API (searches with paging, a bearer token or OAuth2
// client credentials, the trust's CA; after a first full pull only what
// changed, by _lastUpdated) or from extracts the core system drops in a
// shared folder. The Runner imports each pull as one signed census record
// through sync/reconcile, so the mesh carries it to every device, and
// records feed.status when pulls have failed for the outage time and when
// they work again, which the banner on every device shows.
//
// Config (config.go) is the JSON file `lifeboat serve --feed` reads and
// the admin screen writes; it holds paths to secrets, never secrets.
//
// The package imports sync/reconcile and forms, never the store or the UI.
package feed
