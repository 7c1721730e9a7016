package app_test

import (
	"lifeboat/app"
	"lifeboat/store"
)

// The real store must satisfy everything the app calls.
var _ app.Store = (*store.DB)(nil)
