package mesh

import (
	"fmt"
	"testing"
	"time"

	"lifeboat"
)

// neighbourhood builds a node's view of a hospital: wards of perWard
// devices, two relays (one forwarding sealed), a pharmacy device and a
// bed manager, all members.
func neighbourhood(self string, wards, perWard int) *Node {
	n := &Node{self: self, hs: newHandshake(), s: newSyncState()}
	n.subs = map[string]lifeboat.Subscription{
		"relay-1":  {lifeboat.ScopeAll},
		"relay-2":  {lifeboat.Forward(lifeboat.ScopeAll)},
		"beds-1":   {lifeboat.ScopeSite},
		"pharmacy": {lifeboat.ScopePharmacy},
	}
	for w := range wards {
		ward := fmt.Sprintf("W%02d", w+1)
		n.subs["pharmacy"] = append(n.subs["pharmacy"], lifeboat.WardScope(ward))
		for d := range perWard {
			n.subs[fmt.Sprintf("%s-%d", ward, d+1)] = lifeboat.Subscription{lifeboat.WardScope(ward)}
		}
	}
	n.mySub = subscription(n.subs, self)
	for name := range n.subs {
		if name != self {
			n.hs.members[name] = hsMember{sess: session{Device: name, Port: 1}}
		}
	}
	return n
}

func TestWanted_BeyondASmallMeshADeviceTalksToItsScopeMatesAFewOthersAndThoseThatChoseIt(t *testing.T) {
	// 40 wards of 5: 204 members.
	n := neighbourhood("W07-2", 40, 5)
	want := n.wanted(n.hs.snapshot())
	for _, name := range []string{"W07-1", "W07-3", "W07-4", "W07-5", "relay-1", "relay-2", "pharmacy"} {
		if !want[name] {
			t.Errorf("W07-2 does not talk to %s, which shares its ward", name)
		}
	}
	if got, most := len(want), 7+randomPeers; got != most {
		t.Errorf("W07-2 talks to %d peers, want %d (scope mates and %d others): %v", got, most, randomPeers, want)
	}
	again := n.wanted(n.hs.snapshot())
	for name := range want {
		if !again[name] {
			t.Errorf("a second look picks %v, the first %v: the choice must hold while the members do", again, want)
		}
	}
	// A peer that challenged it (or sent what it had to drop) is talked
	// to as well, in the session it is in.
	outsider := "W30-1"
	if want[outsider] {
		outsider = "W31-1"
	}
	n.chosenBy(outsider)
	if !n.wanted(n.hs.snapshot())[outsider] {
		t.Errorf("W07-2 does not talk to %s, which chose it", outsider)
	}
	// A random peer that leaves is replaced by another member.
	var gone string
	for name := range want {
		if _, mate := map[string]bool{"W07-1": true, "W07-3": true, "W07-4": true, "W07-5": true, "relay-1": true, "relay-2": true, "pharmacy": true}[name]; !mate {
			gone = name
			break
		}
	}
	n.memberLeft(gone)
	after := n.wanted(n.hs.snapshot())
	if after[gone] || len(after) != 7+randomPeers+1 {
		t.Errorf("after %s left, W07-2 talks to %v", gone, after)
	}

	// Relays and the pharmacy talk to every device of their scopes.
	r := neighbourhood("relay-2", 40, 5)
	if got := len(r.wanted(r.hs.snapshot())); got != len(r.hs.members) {
		t.Errorf("the forwarding relay talks to %d of %d members", got, len(r.hs.members))
	}
	p := neighbourhood("pharmacy", 40, 5)
	if got := len(p.wanted(p.hs.snapshot())); got != 40*5+2+1 {
		t.Errorf("the pharmacy talks to %d members, want every ward device, both relays and the one other (%d)", got, 40*5+2+1)
	}
	// A bed manager (the site only): the relays and a few others.
	b := neighbourhood("beds-1", 40, 5)
	if got := b.wanted(b.hs.snapshot()); len(got) != 2+randomPeers || !got["relay-1"] || !got["relay-2"] {
		t.Errorf("the bed manager talks to %v", got)
	}
}

func TestWanted_ASmallMeshTalksAllToAll(t *testing.T) {
	n := neighbourhood("W01-1", 3, 2) // 10 members
	if got := len(n.wanted(n.hs.snapshot())); got != len(n.hs.members) {
		t.Errorf("in a mesh of %d, W01-1 talks to %d", len(n.hs.members)+1, got)
	}
}

func TestReannounceEvery_ScalesAsMemberlistsPushPull(t *testing.T) {
	for _, c := range []struct {
		members int
		want    int
	}{{2, 1}, {32, 1}, {33, 2}, {64, 2}, {65, 3}, {209, 4}, {400, 5}} {
		if got := reannounceEvery(1, c.members); got != 1*time.Duration(c.want) {
			t.Errorf("reannounceEvery(1, %d) = %d, want %d", c.members, got, c.want)
		}
	}
}
