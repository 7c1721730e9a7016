package store

import (
	"slices"
	"strings"
	"testing"

	"lifeboat"
	"lifeboat/forms"
)

// logKinds are declared kinds no view projects: they are read from the
// log itself, each by the code named.
var logKinds = map[string]string{
	lifeboat.KindEnteredInError: "project: corrections update the views of the record they correct",
	lifeboat.KindSiteKeyRotated: "sitekeys.go: the site-key plan reads the log",
	lifeboat.KindSiteKeyStep:    "sitekeys.go: the site-key plan reads the log",
	lifeboat.KindSiteKeyShared:  "sitekeys.go: the site-key plan reads the log",
	forms.KindNEWS2Scale:        "app/ward.go and paper: the newest setting is read from the log",
	forms.KindCensusImported:    "reconcile: the snapshot and the banner's census time are read from the log",
	forms.KindReconStatus:       "reconcile: the back-entry worklist is read from the log",
	forms.KindFeedStatus:        "app/syncstatus.go: the banner reads the newest from the log",
}

// Every kind a view projects is declared in forms' registry, and every
// declared kind is projected by a view or read from the log (logKinds):
// a kind added to one side only fails here.
func TestKinds_EveryKindHasAView(t *testing.T) {
	for _, p := range projectors {
		for _, k := range p.kinds {
			if strings.HasSuffix(k, "*") {
				prefix := strings.TrimSuffix(k, "*")
				if !slices.ContainsFunc(forms.Kinds(), func(s forms.KindSpec) bool { return strings.HasPrefix(s.Kind, prefix) }) {
					t.Errorf("view %s consumes %s but no declared kind matches", p.name, k)
				}
				continue
			}
			if _, ok := forms.Spec(k); !ok {
				t.Errorf("view %s projects %s, which forms.Kinds does not declare", p.name, k)
			}
		}
	}
	for k := range recordRules {
		if _, ok := forms.Spec(k); !ok {
			t.Errorf("recordRules index %s, which forms.Kinds does not declare", k)
		}
	}
	for _, s := range forms.Kinds() {
		_, fromLog := logKinds[s.Kind]
		viewed := len(projectorsFor(s.Kind)) > 0
		switch {
		case !viewed && !fromLog:
			t.Errorf("declared kind %s has no view and is not read from the log: add it to a view, or to logKinds with the code that reads it", s.Kind)
		case viewed && fromLog:
			t.Errorf("kind %s is both projected and listed in logKinds", s.Kind)
		}
	}
}

// The store's authority rules and seen kinds are the registry's.
func TestKinds_StoreTablesFromRegistry(t *testing.T) {
	for _, s := range forms.Kinds() {
		r, ok := authorityRules[s.Kind]
		if !ok {
			t.Errorf("%s: no authority rule", s.Kind)
			continue
		}
		if want := ruleOf[s.Authority]; r.kind != want || !slices.Equal(r.roles, s.Roles) {
			t.Errorf("%s: rule %v %v, declared %v %v", s.Kind, r.kind, r.roles, want, s.Roles)
		}
		if seenKinds[s.Kind] != s.Seen {
			t.Errorf("%s: seen %v, declared %v", s.Kind, seenKinds[s.Kind], s.Seen)
		}
	}
	if len(authorityRules) != len(forms.Kinds()) {
		t.Errorf("%d authority rules for %d declared kinds", len(authorityRules), len(forms.Kinds()))
	}
}
