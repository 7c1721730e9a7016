package mesh

import (
	"testing"

	"lifeboat"
)

func TestKeylessMove_OnlyABatchOfOtherSiteRecordsLeavesTheKeysAlone(t *testing.T) {
	ev := func(chain string, seq uint64, kind string) lifeboat.Event {
		return lifeboat.Event{Device: chain, Seq: seq, Kind: kind}
	}
	ward := string(lifeboat.WardScope("W01"))
	old := map[string]uint64{"A": 3, "B": 1, "A/" + ward: 7}
	for _, c := range []struct {
		name string
		now  map[string]uint64
		evs  []lifeboat.Event
		want bool
	}{
		{"nothing moved", old, nil, true},
		{"a ward summary", map[string]uint64{"A": 4, "B": 1, "A/" + ward: 7}, []lifeboat.Event{ev("A", 4, "ward.summary")}, true},
		{"a ward's records only", map[string]uint64{"A": 3, "B": 1, "A/" + ward: 9}, []lifeboat.Event{ev("A/"+ward, 8, "obs.recorded"), ev("A/"+ward, 9, "obs.recorded")}, true},
		{"a key step", map[string]uint64{"A": 4, "B": 1, "A/" + ward: 7}, []lifeboat.Event{ev("A", 4, lifeboat.KindSiteKeyStep)}, false},
		{"a rotation", map[string]uint64{"A": 4, "B": 1, "A/" + ward: 7}, []lifeboat.Event{ev("A", 4, lifeboat.KindSiteKeyRotated)}, false},
		{"a key share", map[string]uint64{"A": 4, "B": 1, "A/" + ward: 7}, []lifeboat.Event{ev("A", 4, lifeboat.KindSiteKeyShared)}, false},
		{"an enrolment", map[string]uint64{"A": 4, "B": 1, "A/" + ward: 7}, []lifeboat.Event{ev("A", 4, lifeboat.KindDeviceEnrolled)}, false},
		{"a revocation", map[string]uint64{"A": 4, "B": 1, "A/" + ward: 7}, []lifeboat.Event{ev("A", 4, lifeboat.KindDeviceRevoked)}, false},
		{"scopes changed", map[string]uint64{"A": 4, "B": 1, "A/" + ward: 7}, []lifeboat.Event{ev("A", 4, lifeboat.KindDeviceScopes)}, false},
		{"a ward key handed on", map[string]uint64{"A": 4, "B": 1, "A/" + ward: 7}, []lifeboat.Event{ev("A", 4, "scope.key")}, false},
		{"moved further than the batch (a local record)", map[string]uint64{"A": 5, "B": 1, "A/" + ward: 7}, []lifeboat.Event{ev("A", 4, "ward.summary")}, false},
		{"another chain moved", map[string]uint64{"A": 4, "B": 2, "A/" + ward: 7}, []lifeboat.Event{ev("A", 4, "ward.summary")}, false},
		{"a new chain", map[string]uint64{"A": 3, "B": 1, "C": 1, "A/" + ward: 7}, nil, false},
		{"a chain cut back", map[string]uint64{"A": 2, "B": 1, "A/" + ward: 7}, nil, false},
		{"a chain gone", map[string]uint64{"A": 3, "A/" + ward: 7}, nil, false},
	} {
		if got := keylessMove(old, c.now, c.evs); got != c.want {
			t.Errorf("%s: keylessMove = %v, want %v", c.name, got, c.want)
		}
	}
}
