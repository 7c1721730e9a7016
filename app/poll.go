package app

import "time"

// pollWhileShown runs tick on the UI goroutine every interval while shown
// reports true, unless a poll already runs (*stop is not nil). It ends
// when shown first reports false (the next load starts it again), or the
// UI closes; *stop is the poll's handle, nil when none runs. The
// goroutine is counted in ui.loops so Close waits for it.
func (ui *UI) pollWhileShown(stop *chan struct{}, every time.Duration, shown func() bool, tick func()) {
	if *stop != nil || ui.ctx.Err() != nil {
		return
	}
	mine := make(chan struct{})
	*stop = mine
	ui.loops.Add(1)
	go func() {
		defer ui.loops.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ui.ctx.Done():
				return
			case <-mine:
				return
			case <-t.C:
				ui.do(func() {
					if *stop != mine {
						return // already stopped
					}
					if !shown() {
						close(mine)
						*stop = nil
						return
					}
					tick()
				})
			}
		}
	}()
}
