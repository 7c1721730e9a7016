package forms

import (
	"fmt"
	"strings"
)

// KindWardDefined is the event kind that defines (or redefines) a ward and
// its beds; payload Ward, subject "ward:<id>". The newest definition wins.
const KindWardDefined = "ward.defined"

// Ward is the payload of ward.defined: a ward and its beds in board order.
type Ward struct {
	ID   string   `json:"id"`
	Name string   `json:"name"`
	Beds []BedDef `json:"beds"`
}

// BedDef is one bed on a ward. An escalation bed is an extra bed opened only
// under pressure (a trolley space, a day-case bay kept open overnight): it
// is closed unless a bed.state event opens it, and the sitrep counts it
// apart from core beds.
type BedDef struct {
	ID         string `json:"id"`
	Label      string `json:"label"` // what the ward calls it: "Bay 2 Bed 4", "SR1"
	Escalation bool   `json:"escalation,omitempty"`
}

// Validate lists what is wrong with w: missing IDs or labels and repeated
// bed IDs or labels.
func (w Ward) Validate() Problems {
	var ps Problems
	hard := func(field, msg string) { ps = append(ps, Problem{Field: field, Message: msg}) }
	if strings.TrimSpace(w.ID) == "" {
		hard("id", "ward has no ID")
	}
	if strings.TrimSpace(w.Name) == "" {
		hard("name", "enter the ward name")
	}
	ids, labels := map[string]bool{}, map[string]bool{}
	for i, b := range w.Beds {
		f := fmt.Sprintf("beds[%d]", i)
		switch {
		case strings.TrimSpace(b.ID) == "":
			hard(f+".id", "bed has no ID")
		case ids[b.ID]:
			hard(f+".id", fmt.Sprintf("bed ID %s is used twice", b.ID))
		}
		ids[b.ID] = true
		l := strings.ToLower(strings.TrimSpace(b.Label))
		switch {
		case l == "":
			hard(f+".label", "enter the bed's label")
		case labels[l]:
			hard(f+".label", fmt.Sprintf("bed label %s is used twice", b.Label))
		}
		labels[l] = true
	}
	return ps
}

// Bed returns the bed with the given ID.
func (w Ward) Bed(id string) (BedDef, bool) {
	for _, b := range w.Beds {
		if b.ID == id {
			return b, true
		}
	}
	return BedDef{}, false
}
