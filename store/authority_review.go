package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"lifeboat"
)

// AuthorityFlag is a privileged change that stands but needs a person's
// review: an IT admin made it concurrently with the removal of their own
// admin role (neither device had seen the other's event), so causality
// cannot order them. Every device lists the same flags.
type AuthorityFlag struct {
	EventID string
	Kind    string
	Subject string
	By      string // the admin whose role was removed
	Device  string // the device it was made on
	Reason  string
}

// AuthorityReview lists the privileged changes that need review, oldest
// first. The store must be unlocked.
func (db *DB) AuthorityReview(ctx context.Context) ([]AuthorityFlag, error) {
	aead, err := db.keys()
	if err != nil {
		return nil, fmt.Errorf("authority review: %w", err)
	}
	kinds := make([]string, 0, len(authorityRules))
	for k, r := range authorityRules {
		if r.kind == rulePrivileged {
			kinds = append(kinds, k)
		}
	}
	sort.Strings(kinds)
	args := make([]any, len(kinds))
	for i, k := range kinds {
		args[i] = k
	}
	evs, err := queryEvents(ctx, db.sql, aead, eventCols+"WHERE kind IN (?"+strings.Repeat(",?", len(kinds)-1)+") ORDER BY hlc_wall, hlc_logical, device", args...)
	if err != nil {
		return nil, fmt.Errorf("authority review: %w", err)
	}
	type priv struct {
		e    *lifeboat.Event
		by   string
		past causalPast
	}
	var all []priv
	removals := map[string][]priv{} // admin -> records removing their role
	for i := range evs {
		e := &evs[i]
		var f authFields
		if json.Unmarshal(e.Payload, &f) != nil || f.Auth == nil {
			continue
		}
		p := priv{e: e, by: f.Auth.By, past: causalPast{seen: f.Seen, device: e.Device, seq: e.Seq}}
		all = append(all, p)
		if e.Kind == lifeboat.KindUserSaved {
			var u lifeboat.UserRecord
			if json.Unmarshal(e.Payload, &u) == nil && (u.Role != lifeboat.RoleITAdmin || !u.Active) {
				removals[u.ID] = append(removals[u.ID], p)
			}
		}
	}
	var out []AuthorityFlag
	for _, p := range all {
		for _, r := range removals[p.by] {
			if r.e.ID == p.e.ID || p.past.covers(r.e.Device, r.e.Seq) || r.past.covers(p.e.Device, p.e.Seq) {
				continue
			}
			out = append(out, AuthorityFlag{EventID: p.e.ID, Kind: p.e.Kind, Subject: p.e.Subject, By: p.by, Device: p.e.Device,
				Reason: "made by an IT admin at the same time as their admin role was removed elsewhere"})
			break
		}
	}
	return out, nil
}
