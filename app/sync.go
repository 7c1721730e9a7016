package app

import "lifeboat/sync/mesh"

// Sync is the ward mesh as the app sees it: *mesh.Node satisfies it. It is
// nil when the device runs on its own (no peers configured), and the app
// then shows "Sync: off".
//
// Status is a cheap snapshot, safe from any goroutine; screens poll it.
type Sync interface {
	Status() mesh.Status
	// Release lets in the events held back from a device after a flood of
	// corrections, once a person has reviewed them.
	Release(device string)
}
