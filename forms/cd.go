package forms

import (
	"errors"
	"fmt"
	"strings"

	"lifeboat"
)

// KindCDEntry is the event kind of one controlled-drugs register line;
// payload CDEntry, subject the register key (RegisterKey).
const KindCDEntry = "cd.entry"

// CDEntryType is what a register line records.
type CDEntryType string

// The register entry types. Receipt adds stock; administration, return (to
// pharmacy or the supplier) and destruction remove it; a correction adjusts
// the balance by a signed amount and names the entry it corrects. Entries are
// never altered or removed: a mistake is put right by a new, dated
// correction, as in a paper register.
const (
	CDReceipt        CDEntryType = "receipt"
	CDAdministration CDEntryType = "administration"
	CDReturn         CDEntryType = "return"
	CDDestruction    CDEntryType = "destruction"
	CDCorrection     CDEntryType = "correction"
)

// CDProduct names what one register holds: the drug, its form and its
// strength ("morphine sulfate", "oral solution", "10 mg/5 ml"). Different
// forms or strengths of one drug keep separate registers.
type CDProduct struct {
	Drug     string `json:"drug"`
	Form     string `json:"form"`
	Strength string `json:"strength"`
}

// Unit is what the register's quantities count, read from the product's
// form as a paper CD register heads its columns: ml for liquids, else the
// form's own pieces (tablets, capsules, ampoules, patches...). It is ""
// when the form says nothing recognisable: the quantity is then shown bare
// rather than with a guessed unit.
func (p CDProduct) Unit() string {
	f := strings.ToLower(p.Form)
	for _, u := range []struct{ word, unit string }{
		{"solution for injection", "ampoules"}, {"injection", "ampoules"}, {"ampoule", "ampoules"}, {"vial", "vials"},
		{"solution", "ml"}, {"liquid", "ml"}, {"suspension", "ml"}, {"syrup", "ml"}, {"linctus", "ml"},
		{"tablet", "tablets"}, {"capsule", "capsules"}, {"patch", "patches"}, {"lozenge", "lozenges"},
		{"suppositor", "suppositories"},
	} {
		if strings.Contains(f, u.word) {
			return u.unit
		}
	}
	return ""
}

// CDEntry is the payload of cd.entry: one line of the register for a
// product at a location. Quantity is in the product's own unit (tablets,
// ampoules, ml) and always positive except for corrections, which carry a
// zero Quantity and a signed Adjustment. The person making the entry is the
// event's author and its date the event's performed_at.
type CDEntry struct {
	ID string `json:"id"`
	CDProduct
	Location   string      `json:"location"` // ward or pharmacy holding the register
	Type       CDEntryType `json:"type"`
	Quantity   Quantity    `json:"quantity,omitzero"`
	PatientID  string      `json:"patient_id,omitempty"` // administration: who received it
	From       string      `json:"from,omitempty"`       // receipt: supplier or pharmacy
	To         string      `json:"to,omitempty"`         // return: where it went
	Witness    string      `json:"witness,omitempty"`    // required for administration and destruction
	Corrects   string      `json:"corrects,omitempty"`   // correction: ID of the entry put right
	Adjustment Quantity    `json:"adjustment,omitzero"`  // correction: signed change to the balance
	Reason     string      `json:"reason,omitempty"`     // required for correction and destruction
	// OrderID is the medicine order an administration was given from on
	// the MAR (recorded together with its med.administered); empty for a
	// line entered on the register screen, which the MAR shows on its own.
	OrderID string `json:"order_id,omitempty"`
}

// RegisterKey is the stable identity of one register: product and location,
// trimmed, lower-cased and with runs of spaces folded, joined by "|". It is
// the subject of cd.entry events, so " Morphine  Sulfate" and "morphine
// sulfate" land in one register.
func RegisterKey(p CDProduct, location string) string {
	norm := func(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
	return norm(p.Drug) + "|" + norm(p.Form) + "|" + norm(p.Strength) + "|" + norm(location)
}

// RegisterKey returns the key of the register e belongs to.
func (e CDEntry) RegisterKey() string { return RegisterKey(e.CDProduct, e.Location) }

// Validate lists what is wrong with e on its own (not its effect on the
// balance: see ApplyCD). All problems are hard: a register line must be
// complete.
func (e CDEntry) Validate() Problems {
	var ps Problems
	add := func(field, msg string) { ps = append(ps, Problem{Field: field, Message: msg}) }
	req := func(field, v, msg string) {
		if strings.TrimSpace(v) == "" {
			add(field, msg)
		}
	}
	req("id", e.ID, "entry has no ID")
	req("drug", e.Drug, "enter the drug name")
	req("form", e.Form, "enter the form (for example tablets, ampoules)")
	req("strength", e.Strength, "enter the strength")
	req("location", e.Location, "enter the ward or pharmacy holding the register")
	switch e.Type {
	case CDReceipt, CDAdministration, CDReturn, CDDestruction:
		if e.Quantity <= 0 {
			add("quantity", "quantity must be more than zero")
		}
		if e.Adjustment != 0 {
			add("adjustment", "only a correction has an adjustment")
		}
		if e.Corrects != "" {
			add("corrects", "only a correction points at another entry")
		}
	case CDCorrection:
		req("corrects", e.Corrects, "say which entry this corrects")
		if e.Adjustment == 0 {
			add("adjustment", "a correction must change the balance")
		}
		if e.Quantity != 0 {
			add("quantity", "a correction uses the adjustment, not the quantity")
		}
		req("reason", e.Reason, "give the reason for the correction")
	case "":
		add("type", "choose the entry type")
	default:
		add("type", fmt.Sprintf("unknown entry type %q", string(e.Type)))
	}
	switch e.Type {
	case CDReceipt:
		req("from", e.From, "enter who supplied it")
	case CDAdministration:
		req("patient_id", e.PatientID, "choose the patient")
		req("witness", e.Witness, "a witness is required for every administration")
	case CDReturn:
		req("to", e.To, "enter where it was returned to")
	case CDDestruction:
		req("witness", e.Witness, "an authorised witness is required for destruction")
		req("reason", e.Reason, "give the reason for destruction")
	}
	return ps
}

// Change is the signed effect of e on its register's balance: +Quantity for
// a receipt, -Quantity for an administration, return or destruction, the
// Adjustment for a correction, and zero for an unknown type.
func (e CDEntry) Change() Quantity {
	switch e.Type {
	case CDReceipt:
		return e.Quantity
	case CDAdministration, CDReturn, CDDestruction:
		return -e.Quantity
	case CDCorrection:
		return e.Adjustment
	}
	return 0
}

// ApplyCD returns the balance after entry, or refuses it with an error
// wrapping lifeboat.ErrInvalid whose message says why in plain words: the
// entry is incomplete (its Problems are wrapped too), or it would take the
// balance below zero. Use it before recording an entry; Ledger replays
// recorded entries.
func ApplyCD(balance Quantity, e CDEntry) (Quantity, error) {
	if ps := e.Validate(); len(ps) > 0 {
		return balance, fmt.Errorf("%s entry %s: %w: %w", e.Type, e.ID, ps, lifeboat.ErrInvalid)
	}
	next, err := balance.Add(e.Change())
	if err != nil {
		return balance, fmt.Errorf("%s entry %s: %w", e.Type, e.ID, err)
	}
	if next < 0 {
		if e.Type == CDCorrection {
			return balance, fmt.Errorf("correction of %s would leave a balance of %s (balance now %s): %w",
				e.Adjustment, next, balance, lifeboat.ErrInvalid)
		}
		return balance, fmt.Errorf("%s of %s would leave a balance of %s (balance now %s): %w",
			e.Type, e.Quantity, next, balance, lifeboat.ErrInvalid)
	}
	return next, nil
}

// CDLine is one line of a replayed register.
type CDLine struct {
	Entry       CDEntry
	Change      Quantity // signed effect on the balance
	Balance     Quantity // running balance after this line
	CorrectedBy []string // IDs of later corrections that point at this entry
	Problem     string   // plain words when the line is invalid or leaves the balance negative
}

// Ledger replays one register's entries in the order given (chronological,
// as recorded) and returns every line with its running balance. It never
// drops or stops at a line: entries from devices that were apart are all on
// record, so a negative balance or a bad line is flagged on the line and
// reported in the error (errors.Join of each), for a person to resolve with
// a new correction entry. Errors wrap lifeboat.ErrConflict for a negative
// balance and lifeboat.ErrInvalid for a malformed line, an entry from
// another register, a repeated ID, or a correction that points at no earlier
// entry.
func Ledger(entries []CDEntry) ([]CDLine, error) {
	lines := make([]CDLine, len(entries))
	index := make(map[string]int, len(entries))
	var errs []error
	var key string
	var first CDEntry
	var bal Quantity
	for i, e := range entries {
		l := CDLine{Entry: e, Change: e.Change()}
		var why []string
		if i == 0 {
			key, first = e.RegisterKey(), e
		} else if e.CDProduct == first.CDProduct && e.Location == first.Location {
			// same spelling as the first line: same register, no need to normalise
		} else if k := e.RegisterKey(); k != key {
			why = append(why, fmt.Sprintf("belongs to register %q, not %q", k, key))
		}
		if ps := e.Validate(); len(ps) > 0 {
			why = append(why, ps.Error())
		}
		if _, dup := index[e.ID]; dup && e.ID != "" {
			why = append(why, "repeats an earlier entry ID")
		} else if e.ID != "" {
			index[e.ID] = i
		}
		if e.Type == CDCorrection && e.Corrects != "" {
			if j, ok := index[e.Corrects]; ok && j < i {
				lines[j].CorrectedBy = append(lines[j].CorrectedBy, e.ID)
			} else {
				why = append(why, fmt.Sprintf("corrects entry %s, which is not earlier in this register", e.Corrects))
			}
		}
		if len(why) > 0 {
			l.Problem = strings.Join(why, "; ")
			errs = append(errs, fmt.Errorf("line %d (entry %s): %s: %w", i+1, e.ID, l.Problem, lifeboat.ErrInvalid))
		}
		next, err := bal.Add(l.Change)
		if err != nil {
			next = bal // keep the last good figure; the line says why
			l.Problem = appendReason(l.Problem, "balance out of range")
			errs = append(errs, fmt.Errorf("line %d (entry %s): %w", i+1, e.ID, err))
		}
		bal = next
		l.Balance = bal
		if bal < 0 {
			msg := fmt.Sprintf("balance is %s, below zero: check the stock and record a correction", bal)
			l.Problem = appendReason(l.Problem, msg)
			errs = append(errs, fmt.Errorf("line %d (entry %s): %s: %w", i+1, e.ID, msg, lifeboat.ErrConflict))
		}
		lines[i] = l
	}
	return lines, errors.Join(errs...)
}

func appendReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
