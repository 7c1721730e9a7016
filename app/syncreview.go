package app

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/sync/mesh"
)

// review is the Sync screen's "Needs review" state: the store's
// quarantine (events refused from peers, kept across restarts) and what
// an IT admin did to it from here. It is read from the store, so it is
// there with sync off too.
type review struct {
	qs      []lifeboat.Quarantined // oldest first, as the store lists them
	qRead   bool                   // qs is the store's; else the mesh's list is shown
	qFailed bool                   // the last read of the store's quarantine failed
	retried map[string]string      // event ID -> plain words of its refusal on Try again
	note    string                 // what the last Try again let in, in plain words
	// flags are privileged changes that stand but need a person's review
	// (an admin's change made as their admin role was removed elsewhere).
	flags  []store.AuthorityFlag
	people map[string]string // user ID -> name, for flags
}

// adminName is the person's name, or "an IT admin" if it is not known.
func (r *review) adminName(id string) string {
	if n := r.people[id]; n != "" {
		return n
	}
	return "an IT admin"
}

// setQuarantine keeps the store's quarantine as read, or notes that it
// could not be read (the mesh's copy, if sync is on, is then shown).
func (r *review) setQuarantine(qs []lifeboat.Quarantined, err error) {
	if err != nil {
		r.qs, r.qRead, r.qFailed = nil, false, true
		return
	}
	r.qs, r.qRead, r.qFailed = qs, true, false
	for id := range r.retried {
		if !slices.ContainsFunc(qs, func(q lifeboat.Quarantined) bool { return q.ID == id }) {
			delete(r.retried, id)
		}
	}
}

// reviewEntry is one refused event as listed: from the store, with the
// error kind the mesh saw (if it did), which words the reason best.
type reviewEntry struct {
	lifeboat.Quarantined
	err error
}

// entries lists the refused events, newest first: the store's when it was
// read, else the mesh's (meshQs). total is how many there are in all.
func (r *review) entries(meshQs []mesh.Quarantined, meshTotal int) (list []reviewEntry, total int) {
	kinds := map[string]error{}
	for _, q := range meshQs {
		if q.Err != nil {
			kinds[q.ID] = q.Err
		}
	}
	if r.qRead {
		for _, q := range r.qs {
			list = append(list, reviewEntry{Quarantined: q, err: kinds[q.ID]})
		}
		total = len(list)
	} else {
		for _, q := range meshQs {
			list = append(list, reviewEntry{Quarantined: lifeboat.Quarantined{ID: q.ID, Device: q.Device, Seq: q.Seq,
				Peer: q.Peer, At: q.At, Reason: q.Reason}, err: q.Err})
		}
		total = max(len(list), meshTotal)
	}
	slices.Reverse(list)
	return list, total
}

// reviewView is "Needs review": the devices held for a flood (held, from
// the mesh) and the refused events. With sync off it is nil when there is
// nothing to review, except for an IT admin, who is told so.
func (s *syncScreen) reviewView(held map[string]string, meshQs []mesh.Quarantined, meshTotal int) fyne.CanvasObject {
	list, total := s.entries(meshQs, meshTotal)
	admin := s.admin()
	if s.st == nil && len(list) == 0 && s.note == "" && !s.qFailed && !admin {
		return nil
	}
	out := container.NewVBox(heading("Needs review", theme.SizeNameText))
	if s.note != "" {
		out.Add(wrapped(s.note))
	}
	if s.qFailed {
		out.Add(wrapped("The refused records kept on this device could not be read just now. Tell IT if this keeps happening."))
	}
	if len(held) == 0 && len(list) == 0 && len(s.flags) == 0 {
		out.Add(wrapped("Nothing to review."))
	}
	for _, f := range s.flags {
		out.Add(NewCard(container.NewVBox(bold(recordKindWords(f.Kind)+" by "+s.adminName(f.By)+" on "+s.name(f.Device)),
			container.NewHBox(Chip("Check this change", nhsWarmYellow, nhsBlack, true)),
			wrapped("It was made while that person's IT admin role was being removed on another device, so it stands: check it is wanted, and undo it (a new change) if not.")), nil))
	}
	for _, d := range sortedKeys(held) {
		n := s.name(d)
		info := container.NewVBox(bold("Records held from "+n),
			container.NewHBox(Chip("Held for review", nhsWarmYellow, nhsBlack, true)),
			wrapped(reasonText(nil, held[d])))
		var action fyne.CanvasObject
		if admin {
			dev := d
			b := widget.NewButtonWithIcon("Let these in", theme.ConfirmIcon(), func() { s.confirmRelease(dev, n) })
			b.Importance = widget.WarningImportance
			action = b
		} else {
			action = wrapped("Ask IT to review")
		}
		info.Add(container.NewHBox(action))
		out.Add(NewCard(info, nil))
	}
	for i, e := range list {
		if i == maxQuarantineShown {
			out.Add(wrapped("And " + count(uint64(total-i), "more refused record", "more refused records") + "."))
			break
		}
		out.Add(s.quarantineCard(e, admin))
	}
	if len(list) < total && len(list) <= maxQuarantineShown {
		// The mesh lists only the newest of a larger quarantine.
		out.Add(wrapped("And " + count(uint64(total-len(list)), "more refused record", "more refused records") + "."))
	}
	return out
}

// quarantineCard is one refused event: what it is, where it came from,
// when, why it was refused, and for an IT admin "Try again" and "Discard".
func (s *syncScreen) quarantineCard(e reviewEntry, admin bool) fyne.CanvasObject {
	title := "Refused record " + strconv.FormatUint(e.Seq, 10) + " from " + s.name(e.Device)
	info := container.NewVBox(
		bold(title),
		wrapped(recordKindWords(e.Kind)+" · offered by "+s.name(e.Peer)+" at "+e.At.Local().Format(DateTimeLayout)),
		wrapped(reasonText(e.err, e.Reason)),
	)
	if why, ok := s.retried[e.ID]; ok {
		l := wrapped("Tried again: still refused. " + why)
		l.Importance = widget.DangerImportance
		info.Add(l)
	}
	if !admin {
		info.Add(wrapped("Ask IT to review"))
		return NewCard(info, nil)
	}
	q := e.Quarantined
	discard := widget.NewButtonWithIcon("Discard", theme.DeleteIcon(), func() { s.discard(q, title) })
	discard.Importance = widget.DangerImportance
	// A flood hold is lifted for the whole device with "Let these in",
	// after review; trying one record again would slip it past the hold.
	if errors.Is(e.err, mesh.ErrFlood) || strings.Contains(e.Reason, mesh.ErrFlood.Error()) {
		info.Add(wrapped("Held back with the rest of this device's records: review them, then use Let these in."))
		info.Add(container.NewHBox(discard))
		return NewCard(info, nil)
	}
	again := widget.NewButtonWithIcon("Try again", theme.ViewRefreshIcon(), func() { s.tryAgain(q, title) })
	info.Add(container.NewHBox(again, discard))
	return NewCard(info, nil)
}

// tryAgain checks a refused event again as if a peer had just sent it
// (say its device has since been enrolled): applied, it leaves the list;
// still refused, the new reason is shown beside it.
func (s *syncScreen) tryAgain(q lifeboat.Quarantined, title string) {
	sess := s.ui.Session()
	var (
		refused *lifeboat.Refusal
		qs      []lifeboat.Quarantined
		qErr    error
	)
	s.ui.Run(func(ctx context.Context) error {
		var err error
		if refused, err = s.ui.Store().ReleaseQuarantined(ctx, sess, q.ID); err != nil {
			return err
		}
		qs, qErr = s.ui.Store().Quarantined(ctx)
		return nil
	}, func(err error) {
		if err != nil {
			s.ui.ShowError(err)
			return
		}
		if refused != nil {
			s.retried[q.ID] = reasonText(refused.Err, refused.Reason)
			s.note = ""
		} else {
			delete(s.retried, q.ID)
			s.note = title + " passed every check and is now in this device's record."
		}
		s.setQuarantine(qs, qErr)
		s.render()
	})
}

// discard deletes a refused event for good, with a reason the audit log
// records.
func (s *syncScreen) discard(q lifeboat.Quarantined, title string) {
	s.ui.Touch()
	reason := widget.NewEntry()
	reason.SetPlaceHolder("e.g. forged: reported to IT security")
	s.ui.formDialog("Discard "+strings.ToLower(title[:1])+title[1:]+"?", "Discard", []*widget.FormItem{
		{Text: "Reason", Widget: reason,
			HintText: "It is deleted from this device for good. If a device offers it again, it is refused again."},
	}, func() error {
		why := strings.TrimSpace(reason.Text)
		if why == "" {
			return forms.Problems{{Field: "reason", Message: "Say why it is discarded, for the audit log."}}
		}
		sess := s.ui.Session()
		var (
			qs   []lifeboat.Quarantined
			qErr error
		)
		s.ui.Run(func(ctx context.Context) error {
			if err := s.ui.Store().DiscardQuarantined(ctx, sess, q.ID, why); err != nil {
				return err
			}
			qs, qErr = s.ui.Store().Quarantined(ctx)
			return nil
		}, func(err error) {
			if err != nil {
				s.ui.ShowError(err)
				return
			}
			s.note = ""
			s.setQuarantine(qs, qErr)
			s.render()
		})
		return nil
	})
}

// reviewKinds name the kinds kindWords does not, for the review list.
var reviewKinds = map[string]string{
	forms.KindMedOrdered:         "Medicine order",
	forms.KindMedStopped:         "Medicine stopped",
	forms.KindCDEntry:            "Controlled drug register entry",
	forms.KindHandoverNote:       "Handover note",
	forms.KindHandoverTask:       "Handover task",
	forms.KindHandoverTaskDone:   "Handover task done",
	forms.KindPharmacyTaskDone:   "Pharmacy task done",
	forms.KindStockLevel:         "Stock level",
	forms.KindWardDefined:        "Ward set-up",
	lifeboat.KindSiteCreated:     "Site set-up",
	lifeboat.KindDeviceEnrolled:  "Device enrolment",
	lifeboat.KindDeviceRevoked:   "Device revocation",
	lifeboat.KindSiteKeyRotated:  "Site key change",
	lifeboat.KindSiteKeyStep:     "Site key change step",
	lifeboat.KindSiteKeyShared:   "Site key handed to a new device",
	lifeboat.KindUserSaved:       "Staff account",
	lifeboat.KindEnteredInError:  "Correction (entered in error)",
	forms.KindPatientRegistered:  "Patient details",
	forms.KindPatientAdmitted:    "Admission",
	forms.KindPatientTransferred: "Transfer",
	forms.KindPatientDischarged:  "Discharge",
	forms.KindPatientMerged:      "Records merged",
}

// maxKindShown bounds an unknown kind shown as it is: a peer chose it.
const maxKindShown = 40

// recordKindWords names an event kind in words; a kind Lifeboat does not
// know is shown as it is, cut short.
func recordKindWords(kind string) string {
	if w, ok := reviewKinds[kind]; ok {
		return w
	}
	if w := kindWords(kind); w != kind {
		return w
	}
	if kind == "" {
		return "Record of no known type"
	}
	if utf8.RuneCountInString(kind) > maxKindShown {
		kind = string([]rune(kind)[:maxKindShown]) + "…"
	}
	return "Record of type " + strconv.Quote(kind)
}
