package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2/dialog"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
)

// Plain words for errors. Raw error strings are never shown: they may hold
// patient data and they mean nothing to a nurse at 3 a.m.
const (
	MsgWrongSecret = "Wrong passphrase or PIN. Check it and try again."
	MsgLocked      = "This device is locked. Unlock it with the ward passphrase."
	MsgNotAllowed  = "Your role is not allowed to do this. Ask the nurse in charge or IT."
	MsgNotFound    = "That record could not be found. Go back to the list and try again."
	MsgConflict    = "This was changed on another device at the same time. Nothing was changed here. Check the record and try again."
	MsgInvalid     = "Something entered is not allowed. Check the form and try again."
	MsgBusy        = "The device is busy. Nothing was changed. Wait a moment and try again."
	MsgUnknown     = "Something went wrong saving this. Nothing was changed. Tell IT if it happens again."
	// Sync failed to start after unlocking (its port taken by another
	// program, say): records are kept, only not shared.
	MsgSyncNotStarted = "Sync could not start, so records stay on this device for now and other devices do not see them. Carry on recording here and tell IT."
	// A ward whose beds and patients this device does not hold (a bed
	// manager's device holds the site's records only).
	MsgWardNotHeld = "This device does not hold that ward's beds and patients. Its count is on the Site capacity tab, from the ward's own summary."
	// A store behind its own device's records (restored, copied, or
	// damaged) and one a copy forked: recording on it would give record
	// numbers twice.
	MsgOwnChainBehind = "Not saved: this device's records were restored from a copy or damaged, and recording is paused until it has taken its later records back from the ward. Keep it connected to the ward and write this on paper meanwhile. Tell IT."
	MsgOwnChainForked = "Not saved: a copy of this device's store recorded on its own, so nothing more can be recorded here. Write this on paper and tell IT: this computer must be enrolled again as a new device."
)

// Plain is an error whose text is already plain words for the person at
// the screen (and holds no patient data): ErrorText shows it as it is.
type Plain string

func (p Plain) Error() string { return string(p) }

// ErrorText turns an error from the store or forms into plain words for a
// clinician: the one place the app does so. Validation problems are
// already plain words and are shown as they are.
func ErrorText(err error) string {
	var out *store.LockedOutError
	var wrong *store.WrongPINError
	var ps forms.Problems
	var plain Plain
	switch {
	case err == nil:
		return ""
	case errors.As(err, &out):
		return "Too many wrong PINs. Locked out until " + out.Until.Local().Format("15:04") + "."
	case errors.Is(err, store.ErrLockedOut):
		return "Too many wrong PINs. Wait a few minutes and try again."
	case errors.As(err, &wrong):
		return wrongPINText(wrong)
	case errors.Is(err, store.ErrWrongSecret):
		return MsgWrongSecret
	case errors.Is(err, store.ErrAdminKeyNeeded):
		return "This needs your own admin passphrase. Sign out and in again, then type it when asked."
	case errors.Is(err, store.ErrNotAuthorised):
		return "Your IT admin rights do not allow this (they may have been removed on another device). Ask another IT admin."
	case errors.Is(err, store.ErrLocked):
		return MsgLocked
	case errors.As(err, &plain):
		return string(plain)
	case errors.As(err, &ps) && len(ps) > 0:
		msgs := make([]string, len(ps))
		for i, p := range ps {
			msgs[i] = p.Message
		}
		return strings.Join(msgs, "\n")
	case errors.Is(err, lifeboat.ErrPermission):
		return MsgNotAllowed
	case errors.Is(err, store.ErrWardNotHeld):
		return MsgWardNotHeld
	case errors.Is(err, lifeboat.ErrNotFound):
		return MsgNotFound
	case errors.Is(err, store.ErrOwnChainForked):
		return MsgOwnChainForked
	case errors.Is(err, store.ErrOwnChainBehind):
		return MsgOwnChainBehind
	case errors.Is(err, lifeboat.ErrConflict):
		return MsgConflict
	case errors.Is(err, lifeboat.ErrInvalid):
		return MsgInvalid
	case errors.Is(err, lifeboat.ErrTransient), errors.Is(err, context.DeadlineExceeded):
		return MsgBusy
	}
	return MsgUnknown
}

// ShowError shows err in plain words (ErrorText) in a dialog over the
// window, and logs its kind (never its text: it may hold patient data).
// A nil error shows nothing.
func (ui *UI) ShowError(err error) {
	if err == nil {
		return
	}
	ui.log.Warn("error shown", "kind", errorKind(err))
	dialog.ShowInformation("Not done", ErrorText(err), ui.win)
}

// errorKind names an error's kind for the log.
func errorKind(err error) string {
	for _, k := range []struct {
		err  error
		name string
	}{
		{lifeboat.ErrNotFound, "not found"}, {lifeboat.ErrInvalid, "invalid"},
		{lifeboat.ErrConflict, "conflict"}, {lifeboat.ErrPermission, "permission"},
		{lifeboat.ErrCorrupt, "corrupt"}, {lifeboat.ErrTransient, "transient"},
	} {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return "other"
}

// wrongPINText says a PIN was wrong and how many tries are left before
// the lockout, so nobody locks themselves out by surprise at 3 a.m.
func wrongPINText(e *store.WrongPINError) string {
	tries := fmt.Sprintf("%d more tries", e.Left)
	if e.Left == 1 {
		tries = "1 more try"
	}
	return fmt.Sprintf("Wrong PIN. %s before you are locked out for %s.", tries, plainDuration(e.LockoutFor))
}
