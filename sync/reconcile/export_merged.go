package reconcile

import (
	"encoding/json"
	"fmt"
	"strings"

	"lifeboat"
	"lifeboat/forms"
)

// Held is a record held back from sending because its patient has no NHS
// number yet (ExportOptions.HoldUnmatched).
type Held struct {
	EventID   string
	Kind      string
	PatientID string
	Patient   string // "SURNAME, Given (DT-...)"
	Reason    string
}

// HeldReason is why an unmatched patient's records are held back.
const HeldReason = "no NHS number yet — match it on the Reconcile screen or send with --include-unmatched"

func (x *exporter) held(e *lifeboat.Event, patient string) Held {
	p := x.patients[patient]
	return Held{EventID: e.ID, Kind: e.Kind, PatientID: patient,
		Patient: fmt.Sprintf("%s (%s)", forms.DisplayName(p), p.TempID), Reason: HeldReason}
}

// readMerges learns the standing merges (the survivor of each record merged
// away) and which patients already have records in the core system.
func (x *exporter) readMerges(evs []lifeboat.Event, cancelled, done map[string]bool) {
	var ms []forms.PatientMerge
	for i := range evs {
		e := &evs[i]
		if done[e.ID] && e.Kind != forms.KindPatientMerged {
			x.sent[e.Subject] = true
		}
		if e.Kind != forms.KindPatientMerged || cancelled[e.ID] {
			continue
		}
		var m forms.PatientMerge
		if json.Unmarshal(e.Payload, &m) == nil {
			ms = append(ms, m)
		}
	}
	x.into = forms.MergeRoots(ms)
	for id, root := range x.into {
		if _, ok := x.wardOf[root]; !ok {
			x.wardOf[root] = x.wardOf[id]
		}
	}
}

// root is the survivor a patient's records go under ("" stays "").
func (x *exporter) root(id string) string {
	if r, ok := x.into[id]; ok {
		return r
	}
	return id
}

// mergeEntries maps patient.merged: the survivor's Patient, and when the
// merged record was a temporary patient whose records already reached the
// core system (so the server holds a Patient for it), a conditional update
// of that Patient marking it inactive and replaced-by the survivor, so no
// orphan Patient is left. A merged record with an NHS number needs no
// link: the server matched it to the survivor's Patient on that number.
func (x *exporter) mergeEntries(src, e *lifeboat.Event) ([]Entry, string, error) {
	if e.Kind == lifeboat.KindEnteredInError || e.Corrects != "" {
		return nil, "", fmt.Errorf("a cancelled merge must be undone in the core system by hand (unmerge the Patient records)")
	}
	var m forms.PatientMerge
	if err := json.Unmarshal(src.Payload, &m); err != nil {
		return nil, "", fmt.Errorf("read merge: %w", err)
	}
	survivor := x.root(m.SurvivorID)
	entries := []Entry{x.patientEntry(survivor, e)}
	old := x.patients[m.MergedID]
	if old.NHSNumber != "" || !x.sent[m.MergedID] {
		return entries, survivor, nil
	}
	off := false
	r := &Resource{ResourceType: "Patient", Active: &off, Gender: old.Sex, BirthDate: old.BirthDate,
		Link: []PatientLink{{Other: Ref{Reference: x.patientURL(survivor)}, Type: "replaced-by"}}}
	if old.Given != "" || old.Surname != "" {
		r.Name = []HumanName{{Use: "official", Family: old.Surname, Given: strings.Fields(old.Given)}}
	}
	if r.Gender != "" && r.Gender != "male" && r.Gender != "female" && r.Gender != "other" {
		r.Gender = "unknown"
	}
	r.addIdentifier(Identifier{System: x.sys.PatientID, Value: m.MergedID})
	if old.TempID != "" {
		r.addIdentifier(Identifier{System: x.sys.TempID, Value: old.TempID})
	}
	r.Extension = x.timeExtensions(e)
	entries = append(entries, Entry{FullURL: "urn:uuid:" + ResourceID("patient-replaced:"+m.MergedID), Resource: r,
		Request: &Request{Method: "PUT", URL: "Patient?" + IdentQuery(x.sys.PatientID, m.MergedID)}})
	return entries, survivor, nil
}
