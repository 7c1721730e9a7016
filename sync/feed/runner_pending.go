package feed

import (
	"errors"

	"lifeboat"
)

// Stand-ins for the error kinds the FHIR source declares in errors.go
// (branch feedfhir); this file goes when that branch is merged.
var (
	ErrUnreachable = errors.New("the core system did not answer")
	ErrRefused     = lifeboat.ErrPermission
)
