package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"lifeboat"
	"lifeboat/forms"
)

// merges is every standing patient.merged: for each record merged away,
// its survivor (forms.MergeRoots, applied in clock order so every device
// reaches the same survivor whatever order the merges arrived in).
type merges struct {
	into  map[string]string
	named []string // every ID any merge names, standing or not, sorted
}

// root is the survivor id's events are read under (id itself if it was
// never merged).
func (g merges) root(id string) string {
	if r, ok := g.into[id]; ok {
		return r
	}
	return id
}

// members are the records merged (directly or not) into root, sorted.
func (g merges) members(root string) []string {
	var out []string
	for id, r := range g.into {
		if r == root {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// mergeGroups reads every patient.merged and keeps those that stand.
func mergeGroups(ctx context.Context, t *txn) (merges, error) {
	evs, err := queryEvents(ctx, t, t.aead, eventCols+"WHERE kind = ? ORDER BY hlc_wall, hlc_logical, device", forms.KindPatientMerged)
	if err != nil {
		return merges{}, err
	}
	named := map[string]bool{}
	var standing []forms.PatientMerge
	for _, e := range evs {
		var m forms.PatientMerge
		if err := decodePayload(&e, &m); err != nil {
			continue // refused by check; never in the log
		}
		named[m.SurvivorID], named[m.MergedID] = true, true
		cs, err := correctors(ctx, t, e.ID)
		if err != nil {
			return merges{}, err
		}
		if st, _ := correctionStatus(e.Kind, cs); st == StatusFinal {
			standing = append(standing, m)
		}
	}
	g := merges{into: forms.MergeRoots(standing)}
	for id := range named {
		g.named = append(g.named, id)
	}
	slices.Sort(g.named)
	return g, nil
}

// validateMerge is the local check on a merge: both records exist and
// are live (a record already merged away, or merged into the other, is
// not merged again).
func validateMerge(ctx context.Context, t *txn, e *lifeboat.Event) error {
	var m forms.PatientMerge
	if err := decodePayload(e, &m); err != nil {
		return err
	}
	if ps := m.Validate().Hard(); len(ps) > 0 {
		return fmt.Errorf("%w: %w", lifeboat.ErrInvalid, ps)
	}
	for _, id := range []string{m.SurvivorID, m.MergedID} {
		var status string
		err := t.QueryRowContext(ctx, "SELECT status FROM p_patients WHERE id = ?", id).Scan(&status)
		if isNoRows(err) {
			return fmt.Errorf("merge patients: no such patient: %w", lifeboat.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("merge patients: %w", err)
		}
		if status == PatientMerged {
			return fmt.Errorf("merge patients: a record is already merged into another: %w", lifeboat.ErrConflict)
		}
	}
	return nil
}

// patientIDs returns every ID whose events read as id's: the survivor of
// id's merge group first, then the records merged into it. An ID that is
// not a merged patient's is returned alone, so a ward, bed or register
// subject passes through unchanged. One query while nothing is merged.
func patientIDs(ctx context.Context, x execer, aead cipherAEAD, id string) ([]string, error) {
	rows, err := x.QueryContext(ctx, "SELECT id, sealed FROM p_patients WHERE status = ?", PatientMerged)
	if err != nil {
		return nil, fmt.Errorf("read merged patients: %w", err)
	}
	defer rows.Close()
	into := map[string]string{}
	for rows.Next() {
		var mid string
		var sealed []byte
		if err := rows.Scan(&mid, &sealed); err != nil {
			return nil, fmt.Errorf("read merged patients: %w", err)
		}
		plain, err := open(aead, sealed, ad("p_patients", mid))
		if err != nil {
			return nil, fmt.Errorf("read merged patient %s: %w", mid, err)
		}
		var v PatientView
		if err := json.Unmarshal(plain, &v); err != nil {
			return nil, fmt.Errorf("read merged patient %s: %w", mid, lifeboat.ErrCorrupt)
		}
		into[mid] = v.MergedInto
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read merged patients: %w", err)
	}
	if len(into) == 0 {
		return []string{id}, nil
	}
	root := id
	if r, ok := into[id]; ok {
		root = r
	}
	out := []string{root}
	for mid, r := range into {
		if r == root {
			out = append(out, mid)
		}
	}
	slices.Sort(out[1:])
	return out, nil
}

// inList is "?, ?, ?" for n placeholders.
func inList(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// numbered is "?2, ?3, ?4" for n numbered placeholders from first.
func numbered(first, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "?%d", first+i)
	}
	return b.String()
}
