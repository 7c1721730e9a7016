package lifeboat

import "testing"

// TestSubscription_ReadsAndForwards: a Forward entry holds a scope (its
// chains are stored and served) without reading it (no keys, no
// records made there); the site is read by all and never forwarded.
func TestSubscription_ReadsAndForwards(t *testing.T) {
	w1, w2 := WardScope("W1"), WardScope("W2")
	for _, c := range []struct {
		name         string
		sub          Subscription
		scope        Scope
		holds, reads bool
	}{
		{"ward device, its ward", Subscription{w1}, w1, true, true},
		{"ward device, another ward", Subscription{w1}, w2, false, false},
		{"ward device, the site", Subscription{w1}, ScopeSite, true, true},
		{"every scope", Subscription{ScopeAll}, w2, true, true},
		{"relay, a ward", Subscription{Forward(ScopeAll)}, w2, true, false},
		{"relay, the pharmacy", Subscription{Forward(ScopeAll)}, ScopePharmacy, true, false},
		{"relay, the site", Subscription{Forward(ScopeAll)}, ScopeSite, true, true},
		{"forwards one ward", Subscription{w1, Forward(w2)}, w2, true, false},
		{"forwards one ward, reads its own", Subscription{w1, Forward(w2)}, w1, true, true},
		{"forwards one ward, not a third", Subscription{w1, Forward(w2)}, WardScope("W3"), false, false},
	} {
		if got := c.sub.Holds(c.scope); got != c.holds {
			t.Errorf("%s: Holds(%s) = %v, want %v", c.name, c.scope, got, c.holds)
		}
		if got := c.sub.Reads(c.scope); got != c.reads {
			t.Errorf("%s: Reads(%s) = %v, want %v", c.name, c.scope, got, c.reads)
		}
	}
	for _, bad := range []Subscription{{Forward(ScopeSite)}, {"forward:"}, {"forward:ward:"}, {"forward:nonsense"}} {
		if bad.Check() == nil {
			t.Errorf("Check(%v) passed", bad)
		}
	}
	for _, good := range []Subscription{{Forward(ScopeAll)}, {Forward(w1), ScopePharmacy}, {Forward(ScopePharmacy)}} {
		if err := good.Check(); err != nil {
			t.Errorf("Check(%v) = %v", good, err)
		}
	}
	if got := Forward(ScopeAll).Label(); got != "Forwards every scope, sealed" {
		t.Errorf("Label = %q", got)
	}
}
