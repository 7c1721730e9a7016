package forms

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	"lifeboat"
)

// SameMedicine reports whether a and b are one medicine for the limits of
// one patient: same patient and dose unit, and the same dm+d code or the
// same drug name (case and spacing ignored). It is the rule GivenDoses uses
// to count doses across orders.
func SameMedicine(a, b MedicationOrder) bool {
	if a.PatientID != b.PatientID || a.DoseUnit != b.DoseUnit {
		return false
	}
	return (a.DMDCode != "" && a.DMDCode == b.DMDCode) || normDrug(a.Drug) == normDrug(b.Drug)
}

func normDrug(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// DuplicateOrders returns the other orders of o's medicine (SameMedicine)
// in force at at: each dose given on one counts toward the limits of the
// others, and a second active order of one drug is itself worth a check.
func DuplicateOrders(o MedicationOrder, orders []MedicationOrder, at time.Time) []MedicationOrder {
	var out []MedicationOrder
	for _, x := range orders {
		if x.ID != o.ID && SameMedicine(o, x) && x.ActiveAt(at) {
			out = append(out, x)
		}
	}
	return out
}

// CheckDose lists every warning to show before a dose of o (dose; zero
// means o.Dose) is given at at, with records the patient's standing dose
// records and orders all their orders:
//
//   - the PRN minimum interval and 24-hour maximum (CheckPRN) of o and of
//     every other when-required order of the same medicine in force at at,
//     each counting the doses given on all orders of that medicine
//     (GivenDoses), so a regular dose of a medicine that also has a PRN
//     order counts toward (and is held to) the PRN order's limits;
//   - WarnAllergy for each active allergy the medicine matches;
//   - WarnDuplicate when o and another order of the medicine in force at
//     at are both regular: two scheduled orders of one drug give it twice
//     each round, almost always a prescribing or transcription error. A
//     regular and a when-required order of one drug (paracetamol QDS and
//     PRN) is the usual pattern: the MAR flags the pair, and the PRN
//     limits above already count doses on both, so asking for a reason at
//     every round would only teach people to type through warnings.
//
// Warnings are in that order, each once.
func CheckDose(o MedicationOrder, orders []MedicationOrder, records []AdminRecord, allergies AllergyList, dose Quantity, at time.Time) []DoseWarning {
	if dose == 0 {
		dose = o.Dose
	}
	ws := limitWarnings(o, orders, records, dose, at)
	ws = append(ws, AllergyWarnings(allergies, o)...)
	for _, x := range DuplicateOrders(o, orders, at) {
		if o.PRN || x.PRN {
			continue
		}
		ws = append(ws, DoseWarning{Code: WarnDuplicate, Message: fmt.Sprintf(
			"%s is also prescribed as %s: doses on either count toward the limits", o.Drug, orderWords(x))})
	}
	return uniqueWarnings(ws)
}

// limitWarnings runs CheckPRN for o and each PRN order of its medicine in
// force at at, over the doses of that medicine in records.
func limitWarnings(o MedicationOrder, orders []MedicationOrder, records []AdminRecord, dose Quantity, at time.Time) []DoseWarning {
	all := orders
	if !containsOrder(orders, o.ID) {
		all = append([]MedicationOrder{o}, orders...)
	}
	var ws []DoseWarning
	for _, x := range all {
		if !x.PRN || (x.ID != o.ID && !SameMedicine(o, x)) || (x.ID != o.ID && !x.ActiveAt(at)) {
			continue
		}
		ws = append(ws, CheckPRN(x, GivenDoses(x, all, records), dose, at)...)
	}
	return ws
}

func containsOrder(orders []MedicationOrder, id string) bool {
	for _, o := range orders {
		if o.ID == id {
			return true
		}
	}
	return false
}

func uniqueWarnings(ws []DoseWarning) []DoseWarning {
	var out []DoseWarning
	seen := map[DoseWarning]bool{}
	for _, w := range ws {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// orderWords is an order in a few words: "1 g oral, when required".
func orderWords(o MedicationOrder) string {
	how := o.Frequency
	if o.PRN {
		how = "when required"
	} else if how == "" {
		how = strings.Join(o.Times, ", ")
	}
	return fmt.Sprintf("%s %s %s, %s", o.Dose, o.DoseUnit, o.Route, how)
}

// Uncovered returns the warnings in ws that no override covers: an
// override covers every warning of its Code when its Reason is not blank.
// A dose may be recorded as given only when this is empty.
func Uncovered(ws []DoseWarning, overrides []DoseOverride) []DoseWarning {
	covered := map[string]bool{}
	for _, ov := range overrides {
		if strings.TrimSpace(ov.Reason) != "" {
			covered[ov.Code] = true
		}
	}
	var out []DoseWarning
	for _, w := range ws {
		if !covered[w.Code] {
			out = append(out, w)
		}
	}
	return out
}

// WarningLabel is a warning code in a few plain words, for the MAR and
// the printout: "PRN interval", "max in 24 h".
func WarningLabel(code string) string {
	switch code {
	case WarnTooSoon:
		return "too soon after the last dose"
	case WarnOverDailyMax:
		return "over the maximum in 24 hours"
	case WarnUnitMismatch:
		return "24-hour total not checkable"
	case WarnAllergy:
		return "allergy"
	case WarnDuplicate:
		return "two orders of this medicine"
	}
	return code
}

// LimitBreach is a dose given that, with doses recorded on devices that
// were apart from its own, breaks a PRN limit nobody was warned of: a
// clinical flag for a person to review on every device.
type LimitBreach struct {
	Record   AdminRecord
	Warnings []DoseWarning
}

// LimitBreaches finds the given doses that break a PRN limit (interval or
// 24-hour maximum, as CheckDose counts them) only because of doses given
// while their devices were apart (Concurrent). A limit the recording
// person was warned of is left out: with every dose they knew of it was
// either within the limit or overridden with a reason. Each dose is
// checked against the doses given before it, so a breach is flagged once,
// on the dose that made it. Doses are in the order of records.
func LimitBreaches(orders []MedicationOrder, records []AdminRecord) []LimitBreach {
	byID := map[string]MedicationOrder{}
	for _, o := range orders {
		byID[o.ID] = o
	}
	var out []LimitBreach
	for i, r := range records {
		o, ok := byID[r.OrderID]
		if !ok || r.Outcome != OutcomeGiven {
			continue
		}
		var others, known []AdminRecord
		apart := false
		for j, x := range records {
			if j == i || x.Outcome != OutcomeGiven || (x.EventID != "" && x.EventID == r.EventID) {
				continue
			}
			if x.PerformedAt.After(r.PerformedAt) || (x.PerformedAt.Equal(r.PerformedAt) && x.EventID > r.EventID) {
				continue // the later dose of a pair carries the flag, once
			}
			others = append(others, x)
			if Concurrent(r.Ref, r.Seen, x.Ref, x.Seen) {
				apart = true
			} else {
				known = append(known, x)
			}
		}
		if !apart {
			continue
		}
		dose := r.Dose
		if dose == 0 {
			dose = o.Dose
		}
		knew := map[string]bool{}
		for _, w := range limitWarnings(o, orders, known, dose, r.PerformedAt) {
			knew[w.Code] = true
		}
		var ws []DoseWarning
		for _, w := range Uncovered(limitWarnings(o, orders, others, dose, r.PerformedAt), r.Overrides) {
			if !knew[w.Code] {
				ws = append(ws, w)
			}
		}
		if ws = uniqueWarnings(ws); len(ws) > 0 {
			out = append(out, LimitBreach{Record: r, Warnings: ws})
		}
	}
	return out
}

// CDQuantity is a dose of o (in o.DoseUnit) in the unit of its register
// (o.CDProduct.Unit()): the dose itself when the units agree ("ml" and
// "ml", "tablet" and "tablets"), else worked out from the strength ("10
// mg/5 ml": 2.5 mg is 1.25 ml; "5 mg" capsules: 10 mg is 2 capsules). It
// refuses, wrapping lifeboat.ErrInvalid, when o names no register
// product, the strength does not read as an amount of the dose unit per
// amount of the register unit, or the result is not exact to a
// thousandth: the person then types the register quantity.
func (o MedicationOrder) CDQuantity(dose Quantity) (Quantity, error) {
	if o.CDProduct == nil {
		return 0, fmt.Errorf("convert dose: the order names no controlled-drugs register: %w", lifeboat.ErrInvalid)
	}
	unit := o.CDProduct.Unit()
	if unit != "" && sameUnit(o.DoseUnit, unit) {
		return dose, nil
	}
	bad := fmt.Errorf("convert dose: cannot read %s of %q as %s per %s: %w", o.DoseUnit, o.CDProduct.Strength, o.DoseUnit, unit, lifeboat.ErrInvalid)
	num, per, hasPer := strings.Cut(o.CDProduct.Strength, "/")
	nq, nu, ok := amount(num)
	if !ok || !sameUnit(nu, o.DoseUnit) || nq <= 0 {
		return 0, bad
	}
	dq := Units(1)
	if hasPer {
		var du string
		if dq, du, ok = amount(per); !ok || dq <= 0 {
			return 0, bad
		}
		if unit == "" || !sameUnit(du, unit) {
			return 0, bad
		}
	} else if unit == "" || unit == "ml" {
		return 0, bad // "10 mg" of a liquid says nothing of the volume
	}
	// dose * dq / nq, in thousandths, exactly.
	prod := new(big.Int).Mul(big.NewInt(int64(dose)), big.NewInt(int64(dq)))
	q, rem := new(big.Int).QuoRem(prod, big.NewInt(int64(nq)), new(big.Int))
	if rem.Sign() != 0 || !q.IsInt64() || Quantity(q.Int64()) > MaxQuantity {
		return 0, fmt.Errorf("convert dose: %s %s is not a whole thousandth of %s: %w", dose, o.DoseUnit, unit, lifeboat.ErrInvalid)
	}
	return Quantity(q.Int64()), nil
}

// amount reads "10 mg", "10mg" or "5 ml" (a bare "ml" is one ml).
func amount(s string) (Quantity, string, bool) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		return 0, "", false
	}
	n, u := strings.TrimSpace(s[:i]), strings.TrimSpace(s[i:])
	if u == "" {
		return 0, "", false
	}
	if n == "" {
		return Units(1), u, true
	}
	q, err := ParseQuantity(n)
	return q, u, err == nil
}

// sameUnit compares units ignoring case and a plural s ("tablet",
// "Tablets").
func sameUnit(a, b string) bool {
	a, b = strings.ToLower(strings.TrimSpace(a)), strings.ToLower(strings.TrimSpace(b))
	return a != "" && (a == b || strings.TrimSuffix(a, "s") == strings.TrimSuffix(b, "s"))
}

// DoseFromCD is the dose, in o.DoseUnit, that q of o's register unit
// holds: the inverse of CDQuantity, to the nearest thousandth (1.25 ml of
// 10 mg/5 ml is 2.5 mg). It refuses as CDQuantity does.
func (o MedicationOrder) DoseFromCD(q Quantity) (Quantity, error) {
	per, err := o.CDQuantity(o.Dose)
	if err != nil {
		return 0, err
	}
	if per <= 0 {
		return 0, fmt.Errorf("convert register quantity: the order's dose is not positive: %w", lifeboat.ErrInvalid)
	}
	x := new(big.Int).Mul(big.NewInt(int64(q)), big.NewInt(int64(o.Dose)))
	x.Add(x, big.NewInt(int64(per)/2)) // to the nearest thousandth
	x.Quo(x, big.NewInt(int64(per)))
	if !x.IsInt64() || Quantity(x.Int64()) > MaxQuantity || x.Sign() < 0 {
		return 0, fmt.Errorf("convert register quantity: out of range: %w", lifeboat.ErrInvalid)
	}
	return Quantity(x.Int64()), nil
}
