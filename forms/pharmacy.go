package forms

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"lifeboat"
)

// Event kinds for pharmacy continuity.
const (
	KindPharmacyTaskDone = "pharmacy.task_done" // payload PharmacyTaskDone; subject "plan:<id>"
	KindPharmacySupply   = "pharmacy.supply"    // payload PharmacySupply; subject the patient
)

// Continuity-plan phase IDs, in the order a plan lists them.
const (
	PhaseFirstHour = "first_hour"
	PhaseFirstDay  = "first_day"
	PhaseOngoing   = "ongoing"
)

// PlanPhases lists the phase IDs in order.
var PlanPhases = []string{PhaseFirstHour, PhaseFirstDay, PhaseOngoing}

// MaxPlanSize is the largest plan document ParsePlan reads.
const MaxPlanSize = 1 << 20

// ContinuityPlan is a pharmacy (or any department's) business-continuity
// plan as data: checklists for the first hour, the first day and ongoing
// downtime. Trusts write their own as JSON; assets/plans holds an example.
type ContinuityPlan struct {
	ID      string      `json:"id"`
	Version int         `json:"version"`
	Title   string      `json:"title"`
	Phases  []PlanPhase `json:"phases"`
}

// PlanPhase is one phase of a plan.
type PlanPhase struct {
	ID    string     `json:"id"` // PhaseFirstHour, PhaseFirstDay or PhaseOngoing
	Title string     `json:"title"`
	Tasks []PlanTask `json:"tasks"`
}

// PlanTask is one checklist item. ID is unique within the plan and stays
// the same across versions, so ticks survive a plan update.
type PlanTask struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Detail    string `json:"detail,omitempty"`
	OwnerRole string `json:"owner_role"` // who does it: "pharmacist", "ward_manager", ...
}

// ParsePlan decodes and checks a plan document. On any problem it returns
// every problem found (unknown fields, missing titles, unknown or repeated
// phases, repeated task IDs, ...) as Problems, wrapped with
// lifeboat.ErrInvalid: use errors.As to list them.
func ParsePlan(data []byte) (ContinuityPlan, error) {
	var p ContinuityPlan
	fail := func(ps Problems) (ContinuityPlan, error) {
		return ContinuityPlan{}, fmt.Errorf("parse plan: %w: %w", ps, lifeboat.ErrInvalid)
	}
	if len(data) > MaxPlanSize {
		return fail(Problems{{Message: fmt.Sprintf("plan is larger than %d bytes", MaxPlanSize)}})
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return fail(Problems{{Message: "plan is not valid JSON: " + jsonReason(err)}})
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fail(Problems{{Message: "plan has more after its closing brace"}})
	}
	if ps := p.Validate(); len(ps) > 0 {
		return fail(ps)
	}
	return p, nil
}

// jsonReason is a decode error without the decoder's package prefix.
func jsonReason(err error) string {
	return strings.TrimPrefix(err.Error(), "json: ")
}

// Validate lists every problem with p.
func (p ContinuityPlan) Validate() Problems {
	var ps Problems
	hard := func(field, msg string) { ps = append(ps, Problem{Field: field, Message: msg}) }
	if strings.TrimSpace(p.ID) == "" {
		hard("id", "plan has no ID")
	}
	if p.Version < 1 {
		hard("version", "plan version must be 1 or more")
	}
	if strings.TrimSpace(p.Title) == "" {
		hard("title", "plan has no title")
	}
	if len(p.Phases) == 0 {
		hard("phases", "plan has no phases")
	}
	last := -1
	taskIDs := map[string]string{}
	for i, ph := range p.Phases {
		f := fmt.Sprintf("phases[%d]", i)
		order := slices.Index(PlanPhases, ph.ID)
		switch {
		case order < 0:
			hard(f+".id", fmt.Sprintf("unknown phase %q (use first_hour, first_day or ongoing)", ph.ID))
		case order == last:
			hard(f+".id", fmt.Sprintf("phase %s is listed twice", ph.ID))
		case order < last:
			hard(f+".id", fmt.Sprintf("phase %s is out of order (first_hour, first_day, ongoing)", ph.ID))
		default:
			last = order
		}
		if strings.TrimSpace(ph.Title) == "" {
			hard(f+".title", "phase has no title")
		}
		if len(ph.Tasks) == 0 {
			hard(f+".tasks", "phase has no tasks")
		}
		for j, k := range ph.Tasks {
			tf := fmt.Sprintf("%s.tasks[%d]", f, j)
			if strings.TrimSpace(k.ID) == "" {
				hard(tf+".id", "task has no ID")
			} else if prev, dup := taskIDs[k.ID]; dup {
				hard(tf+".id", fmt.Sprintf("task ID %s is already used at %s", k.ID, prev))
			} else {
				taskIDs[k.ID] = tf
			}
			if strings.TrimSpace(k.Title) == "" {
				hard(tf+".title", "task has no title")
			}
			if strings.TrimSpace(k.OwnerRole) == "" {
				hard(tf+".owner_role", "say who does the task")
			}
		}
	}
	return ps
}

// PharmacyTaskDone is the payload of pharmacy.task_done: a plan task ticked
// off. Who and when are the event's author and performed_at; untick with a
// record.entered_in_error event.
type PharmacyTaskDone struct {
	PlanID string `json:"plan_id"`
	TaskID string `json:"task_id"`
	Note   string `json:"note,omitempty"`
}

// PhaseProgress is how far through one phase a plan is.
type PhaseProgress struct {
	PhaseID string
	Title   string
	Done    int
	Total   int
	Open    []PlanTask // tasks not yet done, in plan order
}

// Progress counts, per phase of p, the tasks done. Ticks for other plans,
// for tasks the plan no longer has, and repeated ticks are ignored.
func Progress(p ContinuityPlan, done []PharmacyTaskDone) []PhaseProgress {
	ticked := map[string]bool{}
	for _, d := range done {
		if d.PlanID == p.ID {
			ticked[d.TaskID] = true
		}
	}
	out := make([]PhaseProgress, 0, len(p.Phases))
	for _, ph := range p.Phases {
		pp := PhaseProgress{PhaseID: ph.ID, Title: ph.Title, Total: len(ph.Tasks)}
		for _, k := range ph.Tasks {
			if ticked[k.ID] {
				pp.Done++
			} else {
				pp.Open = append(pp.Open, k)
			}
		}
		out = append(out, pp)
	}
	return out
}

// PharmacySupply is the payload of pharmacy.supply: one emergency supply
// or dispensing made during downtime, for the dispensing log and for
// back-entry into the pharmacy system. The supply's time is the event's
// performed_at.
type PharmacySupply struct {
	ID         string   `json:"id"`
	PatientID  string   `json:"patient_id"`
	Drug       string   `json:"drug"` // name, form and strength as labelled
	Quantity   Quantity `json:"quantity"`
	Unit       string   `json:"unit"` // tablets, ml, ampoules, ...
	Ward       string   `json:"ward"`
	SuppliedBy string   `json:"supplied_by"`
	CheckedBy  string   `json:"checked_by,omitempty"` // second (accuracy) check
	Note       string   `json:"note,omitempty"`
}

// Validate lists what is wrong with s. A missing second check, or one by
// the person who supplied it, is a soft problem: allowed when a pharmacist
// works alone, but shown.
func (s PharmacySupply) Validate() Problems {
	var ps Problems
	req := func(field, v, msg string) {
		if strings.TrimSpace(v) == "" {
			ps = append(ps, Problem{Field: field, Message: msg})
		}
	}
	req("id", s.ID, "supply has no ID")
	req("patient_id", s.PatientID, "choose the patient")
	req("drug", s.Drug, "enter the medicine")
	if s.Quantity <= 0 {
		ps = append(ps, Problem{Field: "quantity", Message: "quantity must be more than zero"})
	}
	req("unit", s.Unit, "enter the unit (tablets, ml, ...)")
	req("ward", s.Ward, "enter the ward")
	req("supplied_by", s.SuppliedBy, "enter who supplied it")
	switch {
	case strings.TrimSpace(s.CheckedBy) == "":
		ps = append(ps, Problem{Field: "checked_by", Message: "no second check recorded", Soft: true})
	case strings.EqualFold(strings.TrimSpace(s.CheckedBy), strings.TrimSpace(s.SuppliedBy)):
		ps = append(ps, Problem{Field: "checked_by", Message: "checked by the same person who supplied it", Soft: true})
	}
	return ps
}
