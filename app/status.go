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
	// Feed is what the newest feed.status says about the core system:
	// down (unreachable) since FeedSince, or answering again since
	// FeedSince. FeedNone shows nothing: no feed, or the "answering
	// again" notice dismissed on this device.
	Feed      FeedState
	FeedSince time.Time
	// Now is the time the outage's length is counted to ("3 h 10 min");
	// the UI moves it on every minute.
	Now time.Time
	// ITAdmin is set when the signed-in person is an IT admin: the
	// "answering again" notice offers them reconciliation.
	ITAdmin bool
}

// FeedState is whether the core system answers the census feed, as the
// newest feed.status says.
type FeedState int

const (
	// FeedNone: nothing to show (no feed.status, or dismissed).
	FeedNone FeedState = iota
	// FeedDown: pulls have failed for the feed's outage time.
	FeedDown
	// FeedUp: the core system answers again after an outage.
	FeedUp
)

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

// FeedText says in words whether the core system answers: "Core system
// unreachable since 14:02 (3 h 10 min)", "Core system answering again
// since 16:40", or "" when there is nothing to say.
func (s Status) FeedText() string {
	head, age := s.feedParts()
	if age != "" {
		return head + " " + age
	}
	return head
}

// feedParts is FeedText in the two parts a narrow banner may put on two
// lines: the words and the outage's length ("(3 h 10 min)", or "").
func (s Status) feedParts() (head, age string) {
	switch s.Feed {
	case FeedDown:
		head = "Core system unreachable since " + sinceText(s.FeedSince, s.Now)
		if !s.Now.IsZero() && s.Now.After(s.FeedSince) {
			age = "(" + lengthText(s.Now.Sub(s.FeedSince)) + ")"
		}
	case FeedUp:
		head = "Core system answering again since " + sinceText(s.FeedSince, s.Now)
	}
	return head, age
}

// FeedShort is FeedText for a phone's one-line banner: "Core down since
// 14:02", "Core back since 16:40".
func (s Status) FeedShort() string {
	if f := s.feedShorts(); len(f) > 0 {
		return f[0]
	}
	return ""
}

// feedShorts are FeedShort and shorter ways to say it, longest first,
// for the room a phone's banner has.
func (s Status) feedShorts() []string {
	at := sinceText(s.FeedSince, s.Now)
	switch s.Feed {
	case FeedDown:
		return []string{"Core down since " + at, "Core down " + at, "Core down"}
	case FeedUp:
		return []string{"Core back since " + at, "Core back " + at, "Core back"}
	}
	return nil
}

// FeedNote is the line below FeedText for those who are not IT admins
// once the core system answers again: what happens next.
func (s Status) FeedNote() string {
	if s.Feed == FeedUp && !s.ITAdmin {
		return "IT will send the downtime records back to it."
	}
	return ""
}

// sinceText is a time of day ("14:02") when t is on now's day, else the
// date too ("21-Nov 14:02"): an outage may cross midnight.
func sinceText(t, now time.Time) string {
	t = t.Local()
	if now.IsZero() || t.Format(time.DateOnly) == now.Local().Format(time.DateOnly) {
		return t.Format("15:04")
	}
	return t.Format("02-Jan 15:04")
}

// lengthText is a length of time in whole minutes: "8 min", "3 h 10 min",
// "2 days 4 h".
func lengthText(d time.Duration) string {
	m := int(d / time.Minute)
	switch {
	case m < 1:
		return "under 1 min"
	case m < 60:
		return fmt.Sprintf("%d min", m)
	case m < 24*60:
		if m%60 == 0 {
			return fmt.Sprintf("%d h", m/60)
		}
		return fmt.Sprintf("%d h %d min", m/60, m%60)
	}
	days, h := m/(24*60), m%(24*60)/60
	unit := "days"
	if days == 1 {
		unit = "day"
	}
	if h == 0 {
		return fmt.Sprintf("%d %s", days, unit)
	}
	return fmt.Sprintf("%d %s %d h", days, unit, h)
}
