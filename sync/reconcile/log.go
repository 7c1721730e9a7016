package reconcile

import (
	"context"
	"time"

	"lifeboat"
)

// Log is what reconcile reads from the event log. *store.DB satisfies it.
type Log interface {
	// EventsOfKind returns every event of one kind, in clock order.
	EventsOfKind(ctx context.Context, kind string) ([]lifeboat.Event, error)
}

// Draft is a change reconcile wants recorded; the caller turns it into the
// store's draft and appends a whole plan in one transaction.
type Draft struct {
	Kind        string
	Subject     string
	PerformedAt time.Time
	Corrects    string
	Payload     any
	// PayloadFrom, if set, makes the payload from the records appended
	// before it in the same transaction (see store.Draft.PayloadFrom).
	PayloadFrom func(done []lifeboat.Event) any
}

// Appender records drafts in one transaction, all or none.
type Appender interface {
	AppendAll(ctx context.Context, drafts []Draft) error
}

// AppenderFunc adapts a function to Appender.
type AppenderFunc func(ctx context.Context, drafts []Draft) error

// AppendAll calls f.
func (f AppenderFunc) AppendAll(ctx context.Context, drafts []Draft) error { return f(ctx, drafts) }
