package feed

import (
	"context"
	"errors"
	"fmt"

	"lifeboat"

	"lifeboat/sync/reconcile"
)

// Source is where a feed's census comes from.
type Source interface {
	// Pull returns the whole census as the core system holds it now (its
	// Source and AsOf set), having fetched only what changed where it
	// can. It returns ErrNoChange when there is nothing new to import
	// (no new extract in the folder).
	Pull(ctx context.Context) (reconcile.Census, error)
	// String names the source for logs and feed.status: never a secret.
	String() string
}

// ErrNoChange is Pull's answer when the core system has nothing new: the
// pull worked, and there is nothing to import.
var ErrNoChange = errors.New("nothing new")

// NewSource returns the Source c names: the core system's FHIR API or a
// shared folder of extracts. opts.Ward is where a bed named with no ward
// goes (c.Ward, else the device's own ward: the caller decides).
func NewSource(c Config, opts reconcile.CensusOptions) (Source, error) {
	switch {
	case c.Folder != nil:
		return NewFolder(*c.Folder, opts), nil
	case c.FHIR != nil:
		return NewFHIR(*c.FHIR, opts)
	default:
		return nil, fmt.Errorf("new feed source: the config names no source: %w", lifeboat.ErrInvalid)
	}
}

// PullNow pulls the census c names once and imports it through app
// (signed as an IT admin), recording "up" if the wards were told the core
// system is down: the admin screen's "Pull now". It returns what the
// pull did in plain words (Pull.Summary); its error is PullOnce's.
func PullNow(ctx context.Context, c Config, opts reconcile.CensusOptions, log reconcile.Log, app reconcile.Appender) (string, error) {
	src, err := NewSource(c, opts)
	if err != nil {
		return "", err
	}
	p, err := NewRunner(c, src, log, app, Options{}).PullOnce(ctx)
	if err != nil {
		return "", err
	}
	return p.Summary(), nil
}
