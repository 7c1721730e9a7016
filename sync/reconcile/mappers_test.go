package reconcile

import (
	"slices"
	"testing"

	"lifeboat"
	"lifeboat/forms"
)

// mapperPending are kinds declared exported whose mapper is still being
// written on another branch: none now. The test fails on an entry that
// has a mapper, so none can stay once it lands.
var mapperPending = map[string]bool{}

// Every kind forms declares exported has a FHIR mapper, and no kind
// declared not exported has one: a new kind cannot be silently left out of
// the export, nor sent when its declaration says it stays here.
func TestMappers_EveryExportedKind(t *testing.T) {
	for _, k := range forms.Kinds() {
		_, has := mappers[k.Kind]
		switch {
		case k.Kind == lifeboat.KindEnteredInError:
			if has {
				t.Errorf("%s has a mapper of its own: it is sent through the mapper of the record it cancels", k.Kind)
			}
		case mapperPending[k.Kind]:
			if has {
				t.Errorf("%s has a mapper now: delete it from mapperPending", k.Kind)
			}
			if !k.Exported() {
				t.Errorf("%s is pending a mapper but declared not exported (%s)", k.Kind, k.NotExported)
			}
		case k.Exported() && !has:
			t.Errorf("%s is declared exported as %v but has no mapper", k.Kind, k.FHIR)
		case !k.Exported() && has:
			t.Errorf("%s has a mapper but is declared not exported: %s", k.Kind, k.NotExported)
		}
		if exportKind(k.Kind) != k.Exported() {
			t.Errorf("%s: exportKind %v, declared exported %v", k.Kind, exportKind(k.Kind), k.Exported())
		}
	}
	for k := range mappers {
		if _, ok := forms.Spec(k); !ok {
			t.Errorf("mapper for %s, a kind forms does not declare", k)
		}
	}
	for k := range mapperPending {
		if !slices.Contains(ExportKinds, k) {
			t.Errorf("%s pending a mapper is not in ExportKinds", k)
		}
	}
}
