package app

import (
	"testing"
	"time"
)

func TestStatus_Text(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		london = time.FixedZone("GMT", 0)
	}
	tests := []struct {
		name                   string
		s                      Status
		ward, user, sync, asOf string
	}{
		{"zero", Status{}, "No ward set up", "Not signed in", "Sync: off", "Patient data: no snapshot imported"},
		{"alone", Status{Ward: "Ward 7B", User: "Sam Jones", Sync: SyncOn, SnapshotAt: time.Date(2026, 11, 22, 7, 40, 0, 0, london)},
			"Ward 7B", "Signed in: Sam Jones", "Sync: on, no other devices yet", "Patient data as of 22-Nov-2026 07:40"},
		{"one peer", Status{Sync: SyncOn, Peers: 1}, "No ward set up", "Not signed in", "Sync: on, 1 other device", "Patient data: no snapshot imported"},
		{"peers", Status{Sync: SyncOn, Peers: 4}, "No ward set up", "Not signed in", "Sync: on, 4 other devices", "Patient data: no snapshot imported"},
		{"peers but off", Status{Sync: SyncOff, Peers: 4}, "No ward set up", "Not signed in", "Sync: off", "Patient data: no snapshot imported"},
		{"syncing", Status{Sync: SyncOn, Peers: 2, Syncing: true, Progress: 0.425}, "No ward set up", "Not signed in", "Syncing: 42%", "Patient data: no snapshot imported"},
		{"syncing but off", Status{Sync: SyncOff, Syncing: true}, "No ward set up", "Not signed in", "Sync: off", "Patient data: no snapshot imported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.WardText(); got != tt.ward {
				t.Errorf("WardText() = %q, want %q", got, tt.ward)
			}
			if got := tt.s.UserText(); got != tt.user {
				t.Errorf("UserText() = %q, want %q", got, tt.user)
			}
			if got := tt.s.SyncText(); got != tt.sync {
				t.Errorf("SyncText() = %q, want %q", got, tt.sync)
			}
			if got := tt.s.DataAsOfText(); got != tt.asOf {
				t.Errorf("DataAsOfText() = %q, want %q", got, tt.asOf)
			}
		})
	}
}
