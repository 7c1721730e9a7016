package lifeboat

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Scope is the part of a site's log an event belongs to, and the unit a
// device subscribes to: a ward device holds its ward and the site, not
// the hospital.
//
//	site         people, devices, keys, ward layouts, the pharmacy plan,
//	             census and feed status, per-ward capacity summaries
//	ward:<id>    one ward's patients' clinical records, beds and handover
//	pharmacy     stock levels and pharmacy supplies across wards
type Scope string

// The fixed scopes; a ward's scope is WardScope(id).
const (
	ScopeSite     Scope = "site"
	ScopePharmacy Scope = "pharmacy"
	// ScopeAll in a device's subscription stands for every scope, present
	// and future: a site relay, and every device enrolled before scopes.
	ScopeAll Scope = "*"
)

const (
	wardPrefix    = "ward:"
	forwardPrefix = "forward:"
)

// Forward is the subscription entry that holds scope s sealed: the device
// stores and serves its events, checks their signatures and chains, and
// is never given the key to read them (a site relay). s may be ScopeAll.
func Forward(s Scope) Scope { return Scope(forwardPrefix + string(s)) }

// Forwarded returns the scope a Forward entry names; ok is false for
// every other scope.
func (s Scope) Forwarded() (Scope, bool) {
	f, ok := strings.CutPrefix(string(s), forwardPrefix)
	return Scope(f), ok && f != ""
}

// Sealed reports whether events of scope s are sealed under a scope key:
// every scope but the site, which every device reads.
func (s Scope) Sealed() bool { return s != ScopeSite && s != "" }

// MaxScopeWardLen is the longest ward ID a scope names, so that a chain
// ID (device, "/", scope) fits MaxIDLen.
const MaxScopeWardLen = 40

// WardScope is the scope of ward id's clinical records. An ID a scope
// cannot carry as it is (longer than MaxScopeWardLen, or with control
// characters) is named by its hash instead.
func WardScope(id string) Scope {
	if len(id) > MaxScopeWardLen || !utf8.ValidString(id) || strings.ContainsFunc(id, isControl) {
		sum := sha256.Sum256([]byte(id))
		return Scope(wardPrefix + "#" + hex.EncodeToString(sum[:12]))
	}
	return Scope(wardPrefix + id)
}

func isControl(r rune) bool { return r < ' ' || r == 0x7f }

// Ward returns the ward a ward scope names; ok is false for other scopes.
func (s Scope) Ward() (string, bool) {
	w, ok := strings.CutPrefix(string(s), wardPrefix)
	return w, ok && w != ""
}

// Check reports whether s is a scope a device may record in: site,
// pharmacy, or a ward with a short printable ID.
func (s Scope) Check() error {
	switch s {
	case ScopeSite, ScopePharmacy:
		return nil
	}
	w, ok := s.Ward()
	switch {
	case !ok:
		return fmt.Errorf("scope %q is not site, pharmacy or ward:<id>: %w", s, ErrInvalid)
	case len(w) > MaxScopeWardLen || !utf8.ValidString(w) || strings.ContainsFunc(w, isControl):
		return fmt.Errorf("scope %q: a ward ID of at most %d bytes with no control characters: %w", s, MaxScopeWardLen, ErrInvalid)
	}
	return nil
}

// Label is the scope in plain words.
func (s Scope) Label() string {
	switch s {
	case ScopeSite:
		return "Site"
	case ScopePharmacy:
		return "Pharmacy"
	case ScopeAll:
		return "Every scope"
	}
	if f, ok := s.Forwarded(); ok {
		if f == ScopeAll {
			return "Forwards every scope, sealed"
		}
		return "Forwards " + f.Label() + ", sealed"
	}
	if w, ok := s.Ward(); ok {
		return "Ward " + w
	}
	return string(s)
}

// Subscription is the set of scopes a device holds and is served: the
// scopes it reads (and records in), and Forward entries for the scopes it
// holds sealed without reading.
type Subscription []Scope

// Holds reports whether the subscription includes s, to read or to
// forward: the device stores and serves s's chains. The site scope is in
// every subscription: authority needs the registry everywhere.
func (sub Subscription) Holds(s Scope) bool {
	if sub.Reads(s) {
		return true
	}
	for _, e := range sub {
		if f, ok := e.Forwarded(); ok && (f == ScopeAll || f == s) {
			return true
		}
	}
	return false
}

// Reads reports whether the subscription lets the device read s and
// record in it: it is given s's keys. Forward entries do not count.
func (sub Subscription) Reads(s Scope) bool {
	if s == ScopeSite {
		return true
	}
	return slices.Contains(sub, ScopeAll) || slices.Contains(sub, s)
}

// Check validates every scope in the subscription (ScopeAll and Forward
// entries included).
func (sub Subscription) Check() error {
	for _, s := range sub {
		if f, ok := s.Forwarded(); ok {
			s = f
			if f == ScopeSite {
				return fmt.Errorf("scope %q: the site is read by every device, never forwarded sealed: %w", Forward(f), ErrInvalid)
			}
		}
		if s == ScopeAll {
			continue
		}
		if err := s.Check(); err != nil {
			return err
		}
	}
	return nil
}

// Wards lists the wards the subscription names, in its order.
func (sub Subscription) Wards() []string {
	var out []string
	for _, s := range sub {
		if w, ok := s.Ward(); ok {
			out = append(out, w)
		}
	}
	return out
}

// ChainOf is the ID of device's hash chain in scope: the bare device ID
// for the site scope (every event recorded before scopes existed is in
// that chain), "<device>/<scope>" for the others. Event.Device carries
// it, so it is signed; Seq and Prev count along it.
func ChainOf(device string, scope Scope) string {
	if scope == ScopeSite || scope == "" {
		return device
	}
	return device + "/" + string(scope)
}

// SplitChain returns the device and scope of a chain ID (device IDs hold
// no slash).
func SplitChain(chain string) (device string, scope Scope) {
	d, s, ok := strings.Cut(chain, "/")
	if !ok {
		return chain, ScopeSite
	}
	return d, Scope(s)
}

// DeviceOf is the device whose key signs chain's events.
func DeviceOf(chain string) string {
	d, _ := SplitChain(chain)
	return d
}

// ScopeOf is the scope of chain's events.
func ScopeOf(chain string) Scope {
	_, s := SplitChain(chain)
	return s
}
