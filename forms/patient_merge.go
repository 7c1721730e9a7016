package forms

import (
	"fmt"
	"strings"
)

// maxMergeReason bounds the reason given for a merge, in characters.
const maxMergeReason = 500

// Validate checks a merge payload as entered: two different records, a
// reason, and the NHS number (when given) valid.
func (m PatientMerge) Validate() Problems {
	var ps Problems
	hard := func(field, msg string) { ps = append(ps, Problem{Field: field, Message: msg}) }
	switch {
	case m.SurvivorID == "" || m.MergedID == "":
		hard("merged_id", "Choose the two records to merge")
	case m.SurvivorID == m.MergedID:
		hard("merged_id", "A record cannot be merged with itself")
	}
	if r := strings.TrimSpace(m.Reason); r == "" {
		hard("reason", "Say why these records are one person")
	} else if len([]rune(r)) > maxMergeReason {
		hard("reason", fmt.Sprintf("The reason must be at most %d characters", maxMergeReason))
	}
	if m.NHSNumber != "" {
		if _, err := ParseNHSNumber(m.NHSNumber); err != nil {
			hard("nhs_number", nhsMessage(err))
		}
	}
	return ps
}

// MergeProblems says whether merged may safely be merged into survivor as
// the person with NHS number nhs (10 digits, or "" to keep the survivor's),
// and if not, what to do instead. A merge joins two clinical histories, so
// it is refused whenever the records disagree on who the person is: a
// different date of birth, a different NHS number on each, or names that do
// not look alike. Those are hard problems naming the way forward; nothing
// here is soft, because a wrong merge puts one patient's medicines on
// another's chart.
func MergeProblems(survivor, merged Patient, nhs string) Problems {
	var ps Problems
	hard := func(field, msg string) { ps = append(ps, Problem{Field: field, Message: msg}) }
	if survivor.ID == "" || merged.ID == "" || survivor.ID == merged.ID {
		hard("merged_id", "Choose two different records to merge")
		return ps
	}
	sn, mn := nhsDigits(survivor.NHSNumber), nhsDigits(merged.NHSNumber)
	if nhs != "" {
		d := nhsDigits(nhs)
		if d == "" {
			hard("nhs_number", "The NHS number is not valid: check it against the core system")
			return ps
		}
		nhs = d
	}
	switch {
	case sn != "" && mn != "" && sn != mn:
		hard("nhs_number", fmt.Sprintf("The records have different NHS numbers (%s and %s): they are two people. Check identity in the core system; correct the wrong record's details instead of merging",
			FormatNHSNumber(sn), FormatNHSNumber(mn)))
	case nhs != "" && sn != "" && sn != nhs:
		hard("nhs_number", fmt.Sprintf("%s already has NHS number %s, not %s: check identity in the core system",
			DisplayName(survivor), FormatNHSNumber(sn), FormatNHSNumber(nhs)))
	}
	if strings.TrimSpace(survivor.BirthDate) != strings.TrimSpace(merged.BirthDate) {
		hard("birth_date", fmt.Sprintf("Dates of birth differ (%s and %s): check identity with the patient or the core system, correct the wrong date of birth, then merge",
			FormatBirthDate(survivor.BirthDate), FormatBirthDate(merged.BirthDate)))
	} else if !similarName(foldName(survivor.Surname), foldName(merged.Surname), 3) && !similarName(foldName(survivor.Surname), foldName(merged.Given), 3) {
		hard("surname", fmt.Sprintf("Names differ (%s and %s): check identity with the patient or the core system, correct the wrong name, then merge",
			DisplayName(survivor), DisplayName(merged)))
	}
	return ps
}

// MergeRoots applies merges in the order given (clock order) and returns,
// for every record merged away, the survivor its events now read under.
// Merges are joined like a union-find, so every device reaches the same
// survivor whatever order the merges arrived in: A merged into B and B
// into C leaves A and B under C; two devices merging A into B and B into
// A while apart end with one survivor (the first merge's), not a loop. A
// merge of two records already one is ignored.
func MergeRoots(merges []PatientMerge) map[string]string {
	parent := map[string]string{}
	root := func(id string) string {
		for range len(parent) + 1 {
			p, ok := parent[id]
			if !ok {
				break
			}
			id = p
		}
		return id
	}
	for _, m := range merges {
		if m.SurvivorID == "" || m.MergedID == "" {
			continue
		}
		if s, d := root(m.SurvivorID), root(m.MergedID); s != d {
			parent[d] = s
		}
	}
	out := make(map[string]string, len(parent))
	for id := range parent {
		out[id] = root(id)
	}
	return out
}
