package app

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lifeboat"
	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/forms"
	"lifeboat/store"
)

func TestErrorText(t *testing.T) {
	until := time.Date(2026, 11, 22, 10, 35, 0, 0, time.Local)
	for _, tt := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{fmt.Errorf("sign in: %w", store.ErrWrongSecret), MsgWrongSecret},
		{fmt.Errorf("sign in: %w", &store.WrongPINError{Left: 2, LockoutFor: 15 * time.Minute}), "Wrong PIN. 2 more tries before you are locked out for 15 minutes."},
		{fmt.Errorf("sign in: %w", &store.WrongPINError{Left: 1, LockoutFor: 90 * time.Minute}), "Wrong PIN. 1 more try before you are locked out for 1 h 30 min."},
		{fmt.Errorf("sign in: %w", &store.LockedOutError{Until: until}), "Too many wrong PINs. Locked out until 10:35."},
		{fmt.Errorf("append: %w", lifeboat.ErrPermission), MsgNotAllowed},
		{fmt.Errorf("patient p1: %w", lifeboat.ErrNotFound), MsgNotFound},
		{fmt.Errorf("append: %w", forms.Problems{{Field: "pulse", Message: "Pulse must be between 20 and 300 per minute."}}), "Pulse must be between 20 and 300 per minute."},
		{fmt.Errorf("append: %w", lifeboat.ErrInvalid), MsgInvalid},
		{fmt.Errorf("append: %w", store.ErrLocked), MsgLocked},
		{fmt.Errorf("record: 3 missing: %w", store.ErrOwnChainBehind), MsgOwnChainBehind},
		{fmt.Errorf("record: %w", store.ErrOwnChainForked), MsgOwnChainForked},
		{errors.New("disk I/O error: SMITH Richard 943 476 5919"), MsgUnknown},
	} {
		if got := ErrorText(tt.err); got != tt.want {
			t.Errorf("ErrorText(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestRegister(t *testing.T) {
	defer func(s []Section) { sections = s }(append([]Section(nil), sections...))
	Register(Section{ID: "zz-test", Title: "Test section", Order: 1000, Roles: []lifeboat.Role{lifeboat.RoleITAdmin},
		Make: func(*UI) fyne.CanvasObject { return widget.NewLabel("test section body") }})

	ui, _, _ := newTestUI(t, desktop)
	signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
	for _, s := range ui.Sections() {
		if s.ID == "zz-test" {
			t.Errorf("ward staff see the IT-only section")
		}
	}
	tap(t, ui, "Switch user")
	tap(t, ui, "Ada Admin")
	typePIN(t, ui, cli.DemoAdminPIN)
	tap(t, ui, "Sign in")
	tap(t, ui, "Test section")
	mustShow(t, ui, "test section body", "Signed in: Ada Admin")
	_ = test.NewTempApp
}

func TestShowFirstRun(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(phone)
	ShowFirstRun(w, "/home/nurse/lifeboat", FirstRun{})
	got := shownTexts(w)
	for _, want := range []string{"DOWNTIME MODE", "This device has no ward yet"} {
		if !slices.Contains(got, want) {
			t.Errorf("first run shows %q, want %q", got, want)
		}
	}
	var cmds []string
	for _, o := range test.LaidOutObjects(w.Content()) {
		if e, ok := o.(*widget.Entry); ok {
			cmds = append(cmds, e.Text)
		}
	}
	if !slices.Contains(cmds, `lifeboat demo --data "/home/nurse/lifeboat"`) {
		t.Errorf("first run commands = %q, want the demo command for the data folder", cmds)
	}
}
