package reconcile

import (
	"encoding/json"
	"fmt"

	"lifeboat"
)

// ErrDrill is returned for a training store: a downtime drill's records
// are made-up and must never reach a core system.
var ErrDrill = fmt.Errorf("this is a drill (training) store: its records are never exported: %w", lifeboat.ErrPermission)

// refuseDrill returns ErrDrill if the log's site.created event marks the
// site as a drill.
func refuseDrill(events []lifeboat.Event) error {
	for _, e := range events {
		if e.Kind != lifeboat.KindSiteCreated {
			continue
		}
		var sc lifeboat.SiteCreated
		if err := json.Unmarshal(e.Payload, &sc); err != nil {
			return fmt.Errorf("read site.created %s: %w", e.ID, lifeboat.ErrCorrupt)
		}
		if sc.Drill {
			return ErrDrill
		}
	}
	return nil
}
