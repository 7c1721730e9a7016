package app

import (
	"context"
	"encoding/json"
	"time"

	"lifeboat/forms"
	"lifeboat/sync/reconcile"
)

// syncPoll is how often the banner reads the mesh's state.
const syncPoll = 2 * time.Second

// refreshSync copies the mesh's state into the banner: sync on or off,
// how many peers, and progress while a large sync is under way.
func (ui *UI) refreshSync() {
	if ui.sync == nil {
		return
	}
	st := ui.sync.Status()
	ui.UpdateStatus(func(s *Status) {
		s.Sync = SyncOn
		s.Peers = len(st.Peers)
		s.Syncing = !st.Synced()
		s.Progress = st.Progress()
		s.LastSync = st.LastSync
	})
}

// syncLoop refreshes the banner's sync state every syncPoll while there is
// a mesh.
func (ui *UI) syncLoop() {
	defer ui.loops.Done()
	t := time.NewTicker(syncPoll)
	defer t.Stop()
	ui.do(ui.refreshSync)
	for {
		select {
		case <-ui.ctx.Done():
			return
		case <-t.C:
			ui.do(ui.refreshSync)
			ui.do(ui.showFeed) // the outage's length, by the minute
		}
	}
}

// refreshSnapshot shows in the banner when the newest census imported
// into this ward was taken: "Patient data as of ...". Staff must see how
// stale the pre-downtime record is. It shows too what the newest
// feed.status says about the core system (refreshFeed).
//
// then, if given, runs once the banner shows what was read (or the read
// failed): the sign-in screen lists the staff only then, so the outage
// strip arriving cannot push a name from under a finger.
func (ui *UI) refreshSnapshot(then ...func()) {
	if ui.st.Locked() {
		for _, f := range then {
			f()
		}
		return
	}
	var (
		at   time.Time
		feed feedStatus
	)
	ui.Run(func(ctx context.Context) error {
		evs, err := ui.st.Events(ctx, "census", reconcile.KindCensusImported)
		if err != nil {
			return err
		}
		for _, e := range evs {
			if c, ok := forms.CensusAsOf(e); ok && c.AsOf.After(at) {
				at = c.AsOf
			}
		}
		feed, err = newestFeedStatus(ctx, ui.st)
		return err
	}, func(err error) {
		defer func() {
			for _, f := range then {
				f()
			}
		}()
		if err != nil {
			ui.log.Warn("read census snapshot time", "err", err)
			return
		}
		if !at.Equal(ui.status.SnapshotAt) {
			ui.UpdateStatus(func(s *Status) { s.SnapshotAt = at })
		}
		ui.feed = feed
		ui.showFeed()
	})
}

// feedStatus is the newest feed.status, with its event's ID (what a
// dismissal on this device names); ID "" when there is none.
type feedStatus struct {
	ID string
	forms.FeedStatus
}

// newestFeedStatus reads the newest feed.status: the latest Since, and of
// two with the same Since the later in clock order. Feed runners on two
// devices may both record one; the change that happened last wins. Since
// is only what the record says: one later than the record itself (its
// performed time, or its clock, which the store holds back when it runs
// ahead) is not believed, else a record dated far ahead would hide every
// later one.
func newestFeedStatus(ctx context.Context, st Store) (feedStatus, error) {
	evs, err := st.Events(ctx, "feed", forms.KindFeedStatus)
	if err != nil {
		return feedStatus{}, err
	}
	var out feedStatus
	for _, e := range evs { // clock order
		var fs forms.FeedStatus
		if json.Unmarshal(e.Payload, &fs) != nil || fs.Since.IsZero() {
			continue
		}
		at := e.HLC.Time()
		if e.PerformedAt.Before(at) {
			at = e.PerformedAt
		}
		if fs.Since.After(at) {
			fs.Since = at
		}
		if len(fs.Reason) > maxFeedReason {
			fs.Reason = fs.Reason[:maxFeedReason] + "…"
		}
		if out.ID == "" || !fs.Since.Before(out.Since) {
			out = feedStatus{ID: e.ID, FeedStatus: fs}
		}
	}
	return out, nil
}

// maxFeedReason bounds the failure words shown from a feed.status.
const maxFeedReason = 200

// feedDismissedKey is the device preference naming the feed.status whose
// "answering again" notice was dismissed here.
const feedDismissedKey = "feed.dismissed"

// showFeed puts the newest feed.status (ui.feed) in the banner: down with
// how long, or answering again unless dismissed on this device.
func (ui *UI) showFeed() {
	f := ui.feed
	state := FeedNone
	switch {
	case f.ID == "":
	case !f.Up:
		state = FeedDown
	case ui.dismissedFeed() != f.ID:
		state = FeedUp
	}
	now := ui.now().Truncate(time.Minute)
	if state == ui.status.Feed && f.Since.Equal(ui.status.FeedSince) && (state != FeedDown || now.Equal(ui.status.Now)) {
		return
	}
	ui.UpdateStatus(func(s *Status) { s.Feed, s.FeedSince, s.Now = state, f.Since, now })
}

// dismissFeed hides the "answering again" notice on this device until a
// newer feed.status arrives. It is the device's own choice, not a record.
func (ui *UI) dismissFeed() {
	ui.Touch()
	if ui.app != nil {
		ui.app.Preferences().SetString(feedDismissedKey, ui.feed.ID)
	} else {
		ui.dismissed = ui.feed.ID
	}
	ui.showFeed()
}

func (ui *UI) dismissedFeed() string {
	if ui.app != nil {
		return ui.app.Preferences().String(feedDismissedKey)
	}
	return ui.dismissed
}

// startMesh starts the mesh through Options.StartSync, if there is one and
// it is not running: called once the store is unlocked.
func (ui *UI) startMesh() {
	if ui.startSync == nil || ui.stopSync != nil || ui.syncing || ui.st.Locked() {
		return
	}
	ui.syncing = true
	var (
		s    Sync
		stop func()
	)
	ui.Run(func(ctx context.Context) (err error) {
		s, stop, err = ui.startSync(ctx)
		return err
	}, func(err error) {
		ui.syncing = false
		if err != nil {
			// Its own words: the mesh's error (an address in use, say)
			// matches no kind ErrorText knows, so it would read as a
			// failed save. The cause goes to the log (addresses, no
			// patient data).
			ui.log.Warn("start sync", "err", err)
			ui.ShowError(Plain(MsgSyncNotStarted))
			return
		}
		if ui.st.Locked() { // locked while it started
			go stop()
			return
		}
		ui.sync, ui.stopSync = s, stop
		ui.refreshSync()
	})
}

// stopMesh stops a mesh StartSync started (the store is being locked:
// the mesh could not apply anything without its keys) and shows sync off.
func (ui *UI) stopMesh() {
	if ui.stopSync == nil {
		return
	}
	stop := ui.stopSync
	ui.sync, ui.stopSync = nil, nil
	ui.tasks.Add(1)
	go func() {
		defer ui.tasks.Done()
		stop()
	}()
	ui.UpdateStatus(func(s *Status) { s.Sync, s.Peers, s.Syncing = SyncOff, 0, false })
}
