package app

import (
	"fmt"
	"time"
)

// SyncState says whether this device is syncing with the rest of the ward.
type SyncState int

const (
	// SyncOff: sync is not running; records stay on this device.
	SyncOff SyncState = iota
	// SyncOn: sync is running; Status.Peers says how many other devices
	// are reachable right now.
	SyncOn
)

// DateTimeLayout is how Lifeboat shows a date and time: 22-Nov-2026 07:40,
// the NHS's unambiguous day-month-year order with the month in words.
const DateTimeLayout = "02-Jan-2006 15:04"

// Status is what the banner at the top of every screen shows. The zero value
// is a device that has not been set up: no ward, nobody signed in, sync off,
// no snapshot.
type Status struct {
	// Ward is the ward's name as staff know it, e.g. "Ward 7B".
	Ward string
	// User is the signed-in person's display name; "" when nobody is.
	User string
	// Sync is whether sync is running.
	Sync SyncState
	// Peers is the number of other devices reachable when Sync is SyncOn.
	Peers int
	// SnapshotAt is when the imported core-system snapshot was taken, shown
	// in its own location; zero when no snapshot has been imported.
	SnapshotAt time.Time
	// Drill marks a training store: the banner turns purple and says so.
	Drill bool
	// Syncing is set while peers hold events this device lacks; Progress
	// is the share received so far, 0 to 1.
	Syncing  bool
	Progress float64
	// LastSync is when events last arrived from a peer; zero if never.
	LastSync time.Time
}

// WardText is the ward as shown: its name, or "No ward set up".
func (s Status) WardText() string {
	if s.Ward == "" {
		return "No ward set up"
	}
	return s.Ward
}

// UserText is who is signed in, or "Not signed in".
func (s Status) UserText() string {
	if s.User == "" {
		return "Not signed in"
	}
	return "Signed in: " + s.User
}

// SyncText says in words whether this device is sharing records.
func (s Status) SyncText() string {
	switch {
	case s.Sync != SyncOn:
		return "Sync: off"
	case s.Syncing:
		return fmt.Sprintf("Syncing: %d%%", int(s.Progress*100))
	case s.Peers <= 0:
		return "Sync: on, no other devices yet"
	case s.Peers == 1:
		return "Sync: on, 1 other device"
	default:
		return fmt.Sprintf("Sync: on, %d other devices", s.Peers)
	}
}

// DataAsOfText says how old the imported patient data is. Staff must always
// see it: a snapshot from before the outage goes stale by the hour.
func (s Status) DataAsOfText() string {
	if s.SnapshotAt.IsZero() {
		return "Patient data: no snapshot imported"
	}
	return "Patient data as of " + s.SnapshotAt.Format(DateTimeLayout)
}
