package app

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"lifeboat"
	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/store"
	"lifeboat/sync/mesh"
)

func TestHealthChecks(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	peer := func(skew time.Duration) mesh.PeerStatus { return mesh.PeerStatus{Device: "P", ClockSkew: skew} }
	named := func(dev string, skew time.Duration) mesh.PeerStatus {
		return mesh.PeerStatus{Device: dev, ClockSkew: skew}
	}
	ok := healthInput{Now: now, Free: 10 << 30, Device: "ABC", SiteKeys: 1,
		Sync: &mesh.Status{Peers: []mesh.PeerStatus{peer(20 * time.Second)}, LastSync: now}}
	level := func(items []healthItem, what string) (healthLevel, string) {
		for _, it := range items {
			if it.What == what {
				return it.Level, it.Detail
			}
		}
		t.Fatalf("no %s check in %+v", what, items)
		return 0, ""
	}
	tests := []struct {
		name   string
		change func(*healthInput)
		what   string
		want   healthLevel
		says   string
	}{
		{"all well: storage", func(*healthInput) {}, "Storage", healthOK, "10.0 GB free"},
		{"all well: clock", func(*healthInput) {}, "Clock", healthOK, "Within a minute"},
		{"all well: sync", func(*healthInput) {}, "Sync", healthOK, "1 other device(s) in reach"},
		{"disk at the low mark is fine", func(in *healthInput) { in.Free = diskLow }, "Storage", healthOK, "1.0 GB free"},
		{"disk just under the low mark", func(in *healthInput) { in.Free = diskLow - 1 }, "Storage", healthWarn, "ask IT to free some space"},
		{"disk at the critical mark warns", func(in *healthInput) { in.Free = diskCritical }, "Storage", healthWarn, "200 MB free"},
		{"disk just under the critical mark", func(in *healthInput) { in.Free = diskCritical - 1 }, "Storage", healthBad, "may fail to save"},
		{"free space unreadable", func(in *healthInput) { in.FreeErr = errors.New("statfs") }, "Storage", healthWarn, "could not be read"},
		{"no device key", func(in *healthInput) { in.Device = "" }, "Keys", healthBad, "no signing key"},
		{"no site key", func(in *healthInput) { in.SiteKeys = 0 }, "Keys", healthBad, "no sync key"},
		{"missed a key change", func(in *healthInput) { in.MissedKey = true }, "Keys", healthBad, "did not receive the new one"},
		{"sync off", func(in *healthInput) { in.Sync = nil }, "Sync", healthWarn, "Sync is off"},
		{"nobody in reach", func(in *healthInput) { in.Sync = &mesh.Status{} }, "Sync", healthWarn, "No other ward device"},
		{"backlog", func(in *healthInput) { in.Sync.ToReceive = 40 }, "Sync", healthWarn, "40 records still to receive"},
		{"clock at the limit is fine", func(in *healthInput) { in.Sync.Peers = []mesh.PeerStatus{peer(-mesh.ClockSkewLimit)} }, "Clock", healthOK, "up to 5 min"},
		{"clock past the limit", func(in *healthInput) {
			in.Sync.Peers = []mesh.PeerStatus{peer(time.Second), peer(mesh.ClockSkewLimit + time.Second)}
		}, "Clock", healthBad, "date and time settings"},
		{"one peer of three 3 h fast is named", func(in *healthInput) {
			in.Sync.Peers = []mesh.PeerStatus{peer(time.Second), named("FAST", 3*time.Hour), peer(-time.Second)}
		}, "Clock", healthBad, "Device FAST's clock is 3 h ahead of this device's"},
		{"one peer of three behind is named", func(in *healthInput) {
			in.Sync.Peers = []mesh.PeerStatus{peer(time.Second), named("SLOW", -20*time.Minute), peer(-time.Second)}
		}, "Clock", healthBad, "Device SLOW's clock is 20 min behind"},
		{"most peers disagree: this device is off", func(in *healthInput) {
			in.Sync.Peers = []mesh.PeerStatus{named("A", -3*time.Hour), named("B", -3*time.Hour), peer(0)}
		}, "Clock", healthBad, "This device's clock differs from most ward devices"},
		{"one peer only: both named", func(in *healthInput) { in.Sync.Peers = []mesh.PeerStatus{named("X", 3*time.Hour)} },
			"Clock", healthBad, "This device and device X differ by 3 h"},
		{"records held for a clock far ahead name their device", func(in *healthInput) {
			held := mesh.Quarantined{Refusal: lifeboat.Refusal{Device: "Y2099", Err: lifeboat.ErrClockAhead}}
			in.Sync.Quarantined = []mesh.Quarantined{held, held}
		}, "Clock", healthBad, "2 record(s) from device Y2099 are held"},
		{"drill", func(in *healthInput) { in.Drill = true }, "Drill", healthWarn, "training store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := ok
			st := *ok.Sync
			in.Sync = &st
			tt.change(&in)
			got, detail := level(healthChecks(in), tt.what)
			if got != tt.want || !strings.Contains(detail, tt.says) {
				t.Errorf("%s = %v %q; want %v saying %q", tt.what, got, detail, tt.want, tt.says)
			}
		})
	}
}

// A nurse opens the device check on the demo ward (sync off) and checks
// the store.
func TestHealthScreen(t *testing.T) {
	ui, _, _ := newTestUI(t, desktop)
	signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
	ui.ShowSection("health")
	settle(ui)
	mustShow(t, ui, "Storage", "free.", "Keys", "are present", "Sync is off", "Clock")
	tap(t, ui, "Check the store now")
	mustShow(t, ui, "records and the audit log are intact. Nothing is damaged or altered.")
}

// damagedStore is the demo store with a store check that finds damage
// (damage a real store cannot be made to have from the app's side).
type damagedStore struct {
	*store.DB
	problems []store.VerifyProblem
}

func (d damagedStore) Verify(ctx context.Context) (store.VerifyReport, error) {
	rep, err := d.DB.Verify(ctx)
	rep.Problems = append(rep.Problems, d.problems...)
	return rep, err
}

// The store check's result is shown where the person looks, scrolled into
// view (below the fold on a phone): when it ran, how many records and, when damaged, each
// problem. Before this the result appeared below the fold and the button
// seemed to do nothing.
func TestHealthScreen_StoreCheckShowsResult(t *testing.T) {
	for _, tc := range []struct {
		name     string
		problems []store.VerifyProblem
		want     []string
	}{
		{"intact", nil, []string{"Checked at 09:00 in", "records and the audit log are intact"}},
		{"damaged", []store.VerifyProblem{{Where: "event K3F9QX2A/17", What: "bad signature"}, {Where: "audit entry 12", What: "chain broken"}},
			[]string{"2 problem(s) found in", "tell IT", "• event K3F9QX2A/17: bad signature", "• audit entry 12: chain broken"}},
	} {
		for _, size := range []fyne.Size{desktop, phone} {
			t.Run(tc.name+"/"+sizeName(size), func(t *testing.T) {
				ui, db, _ := newTestUI(t, size)
				if tc.problems != nil {
					ui.st = damagedStore{DB: db, problems: tc.problems}
				}
				signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
				ui.ShowSection("health")
				settle(ui)
				tap(t, ui, "Check the store now")
				var result *widget.Label
				for _, o := range objects(ui) {
					if l, ok := o.(*widget.Label); ok && strings.HasPrefix(l.Text, "Checked at") {
						result = l
					}
				}
				if result == nil {
					t.Fatalf("no result on screen %q", texts(ui))
				}
				for _, w := range tc.want {
					if !strings.Contains(result.Text, w) {
						t.Errorf("result = %q, want %q in it", result.Text, w)
					}
				}
				relayout(ui)
				mustBeInView(t, ui.win, result, "the store check's result")
			})
		}
	}
}
