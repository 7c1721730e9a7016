package fhirtest

import (
	"encoding/json"
	"strings"
	"testing"
)

// MustNoDuplicates fails tb if two resources of typ on the server share
// an identifier (a record written twice). Identifiers with no system are
// not compared: they are local codes (a bed "B05" on two wards), not
// identities.
func MustNoDuplicates(tb testing.TB, srv *Server, typ string) {
	tb.Helper()
	seen := map[string]string{}
	for _, r := range srv.Search(tb, typ, "") {
		for _, id := range r.Identifiers() {
			if id.System == "" {
				continue
			}
			k := id.System + "|" + id.Value
			if other, ok := seen[k]; ok && other != r.ID {
				tb.Errorf("%s %s and %s share identifier %s", typ, other, r.ID, k)
			}
			seen[k] = r.ID
		}
	}
}

// MustEachOnce fails tb unless every event in events is on the server
// exactly once as a resource of typ: one resource whose identifier in
// system is the event ID, or the event ID and "#part" (one resource per
// part of a record, such as each observation of a set).
func MustEachOnce(tb testing.TB, srv *Server, typ, system string, events []string) {
	tb.Helper()
	byValue := map[string]int{}
	parts := map[string]int{}
	for _, r := range srv.Search(tb, typ, "") {
		for _, id := range r.Identifiers() {
			if id.System != system {
				continue
			}
			byValue[id.Value]++
			ev, _, _ := strings.Cut(id.Value, "#")
			parts[ev]++
		}
	}
	for v, n := range byValue {
		if n > 1 {
			tb.Errorf("%s %s is on the server %d times, want once", typ, v, n)
		}
	}
	for _, e := range events {
		if parts[e] == 0 {
			tb.Errorf("event %s is not on the server as a %s", e, typ)
		}
	}
}

// MustProvenance fails tb unless the server holds one Provenance per
// transaction sent (bundles), each naming a person by name (and the
// device as a second agent), tagged with
// code downtimeCode (recorded during downtime), every target a resource
// of one of types the server holds.
func MustProvenance(tb testing.TB, srv *Server, bundles int, downtimeCode string, types []string) {
	tb.Helper()
	held := map[string]bool{}
	for _, typ := range types {
		for _, r := range srv.Search(tb, typ, "") {
			held[typ+"/"+r.ID] = true
		}
	}
	ps := srv.Search(tb, "Provenance", "")
	if len(ps) != bundles {
		tb.Errorf("server holds %d Provenance, want %d (one per transaction)", len(ps), bundles)
	}
	for _, sr := range ps {
		var p struct {
			ID     string `json:"id"`
			Target []struct {
				Reference string `json:"reference"`
			} `json:"target"`
			Agent []struct {
				Who struct {
					Display string `json:"display"`
				} `json:"who"`
			} `json:"agent"`
			Meta struct {
				Tag []struct {
					Code string `json:"code"`
				} `json:"tag"`
			} `json:"meta"`
		}
		if err := json.Unmarshal(sr.Raw, &p); err != nil {
			tb.Fatal(err)
		}
		tagged := false
		for _, tg := range p.Meta.Tag {
			tagged = tagged || tg.Code == downtimeCode
		}
		if len(p.Target) == 0 || len(p.Agent) < 2 || p.Agent[0].Who.Display == "" || !tagged {
			tb.Errorf("Provenance on the server = %s", sr.Raw)
		}
		for _, tg := range p.Target {
			if !held[tg.Reference] {
				tb.Errorf("Provenance %s targets %s, not on the server", p.ID, tg.Reference)
			}
		}
	}
}
