package reconcile

import (
	"context"

	"lifeboat"
	"lifeboat/store"
)

// StoreAppendAll is the store call StoreAppender records through:
// *store.DB and the app's Store have it.
type StoreAppendAll interface {
	AppendAll(ctx context.Context, s *store.Session, drafts []store.Draft) ([]lifeboat.Event, error)
}

// StoreAppender records reconcile's drafts in st as s, all in one
// transaction: the one adapter from Draft to store.Draft, for the app,
// the commands and their tests.
func StoreAppender(st StoreAppendAll, s *store.Session) Appender {
	return AppenderFunc(func(ctx context.Context, ds []Draft) error {
		sds := make([]store.Draft, len(ds))
		for i, d := range ds {
			sds[i] = d.StoreDraft()
		}
		_, err := st.AppendAll(ctx, s, sds)
		return err
	})
}

// StoreDraft is d as the store records it (the store picks its scope).
func (d Draft) StoreDraft() store.Draft {
	return store.Draft{Kind: d.Kind, Subject: d.Subject, PerformedAt: d.PerformedAt, Corrects: d.Corrects, Payload: d.Payload, PayloadFrom: d.PayloadFrom}
}
