package app

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

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
		}
	}
}

// refreshSnapshot shows in the banner when the newest census imported
// into this ward was taken: "Patient data as of ...". Staff must see how
// stale the pre-downtime record is.
func (ui *UI) refreshSnapshot() {
	if ui.st.Locked() {
		return
	}
	var at time.Time
	ui.Run(func(ctx context.Context) error {
		evs, err := ui.st.Events(ctx, "census", reconcile.KindCensusImported)
		if err != nil {
			return err
		}
		for _, e := range evs {
			var c reconcile.CensusImported
			if json.Unmarshal(e.Payload, &c) == nil && c.AsOf.After(at) {
				at = c.AsOf
			}
		}
		return nil
	}, func(err error) {
		if err != nil {
			ui.log.Warn("read census snapshot time", "err", err)
			return
		}
		if !at.Equal(ui.status.SnapshotAt) {
			ui.UpdateStatus(func(s *Status) { s.SnapshotAt = at })
		}
	})
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
			ui.log.Warn("start sync", "err", err)
			ui.ShowError(fmt.Errorf("sync could not start, so records stay on this device for now: %w", err))
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
