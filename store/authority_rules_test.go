package store

import (
	"strings"
	"testing"

	"lifeboat"
	"lifeboat/forms"
)

// Every kind the store projects, and every kind the foundation records,
// has an authority rule of its own: a kind added without one would be
// open to any known person (the rule for kinds from a newer Lifeboat).
func TestAuthorityRules_EveryKindDecided(t *testing.T) {
	kinds := []string{lifeboat.KindEnteredInError, lifeboat.KindSiteKeyRotated, lifeboat.KindSiteKeyStep, lifeboat.KindSiteKeyShared,
		forms.KindPatientRegistered, forms.KindPatientAdmitted, forms.KindPatientTransferred, forms.KindPatientDischarged}
	for _, p := range projectors {
		for _, k := range p.kinds {
			if !strings.HasSuffix(k, "*") {
				kinds = append(kinds, k)
			}
		}
	}
	for k := range recordRules {
		kinds = append(kinds, k)
	}
	for _, k := range kinds {
		r, ok := authorityRules[k]
		if !ok {
			t.Errorf("kind %s has no authority rule", k)
			continue
		}
		if r.kind == ruleClinical && len(r.roles) == 0 {
			t.Errorf("clinical kind %s allows no role", k)
		}
	}
	for k, r := range authorityRules {
		for _, role := range r.roles {
			if !role.Valid() {
				t.Errorf("kind %s names an unknown role %q", k, role)
			}
		}
	}
}
