package app

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"

	"lifeboat"
	"lifeboat/sync/reconcile"
)

func init() {
	Register(Section{ID: "reconcile", Title: "Reconciliation", Order: 85,
		Icon:  theme.DefaultTheme().Icon(theme.IconNameUpload),
		Roles: []lifeboat.Role{lifeboat.RoleITAdmin},
		Make:  newReconcileScreen})
}

// ReconcileStore is what the Reconciliation section reads beyond Store:
// the whole event log, which reconcile maps to FHIR and the worklist.
// *store.DB satisfies it; a Store that does not cannot reconcile, and the
// section says so.
type ReconcileStore interface {
	// EventsOfKind returns every event of one kind, in clock order
	// (reconcile.Log).
	EventsOfKind(ctx context.Context, kind string) ([]lifeboat.Event, error)
	// ReadableLog returns every event this device can read (a relay's
	// sealed wards are not among them).
	ReadableLog(ctx context.Context) ([]lifeboat.Event, error)
}

// Plain words for what reconciliation refuses.
const (
	MsgDrillExport = "This is a drill (training) store. Its records are made up, so they are never exported or sent to the core systems."
	MsgNoReconcile = "This device's store cannot be reconciled from the app. Use the lifeboat command on the ward PC."
	MsgOlderCensus = "This census is older than the one already imported. Nothing was imported: importing it would roll the ward back."
	MsgReadFile    = "That file could not be read. Check the file name and that it is not open elsewhere, then try again."
	MsgWriteFolder = "The files could not be written to that folder. Check that it exists, that there is room, and that you may write there."
	MsgSendFailed  = "The core system could not be reached or kept refusing. What was sent before this is recorded; try again to carry on."
	// A server refusing us, not the records: nothing is marked rejected.
	MsgSendNoAccess   = "The core system's FHIR server refused the access token (401). Check the token and send again: no record was marked rejected, they are still to send."
	MsgSendForbidden  = "The core system's FHIR server does not let this token's account write these records (403). Ask its administrators, then send again: no record was marked rejected."
	MsgFHIRSystems    = "The trust's FHIR identifier systems file (fhir-systems.json in the data folder) could not be read. Nothing was exported or sent: ask IT to check it with lifeboat export."
	MsgSendNoEndpoint = "There is no FHIR server at that base URL (404). Check the URL and send again: no record was marked rejected."
)

// reconcileText is ErrorText for reconciliation: the refusals that have
// their own plain words here, the rest as everywhere else.
func reconcileText(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, reconcile.ErrDrill):
		return MsgDrillExport
	case errors.Is(err, errNoReconcile):
		return MsgNoReconcile
	case errors.Is(err, errReadFile):
		return MsgReadFile
	}
	switch code, _ := reconcile.RefusedUs(err); code {
	case 401:
		return MsgSendNoAccess
	case 403:
		return MsgSendForbidden
	case 404:
		return MsgSendNoEndpoint
	}
	return ErrorText(err)
}

// showReconError is UI.ShowError with reconcileText's words.
func showReconError(ui *UI, err error) {
	if err == nil {
		return
	}
	ui.log.Warn("error shown", "kind", errorKind(err))
	dialog.ShowInformation("Not done", reconcileText(err), ui.win)
}

var (
	errNoReconcile = errors.New("store cannot reconcile")
	errReadFile    = errors.New("read census file")
)

// reconcileScreen is the IT admin's Reconciliation section: importing the
// census before downtime, and after it exporting or sending the downtime
// records, following the back-entry worklist and matching temporary IDs
// to NHS numbers.
type reconcileScreen struct {
	ui       *UI
	tabs     *container.AppTabs
	imp      *importTab
	export   *exportTab
	worklist *worklistTab
	ids      *idsTab
}

func newReconcileScreen(ui *UI) fyne.CanvasObject {
	s := &reconcileScreen{ui: ui}
	s.imp = newImportTab(ui)
	s.export = newExportTab(ui)
	s.worklist = newWorklistTab(ui)
	s.ids = newIDsTab(ui)
	s.tabs = container.NewAppTabs(
		container.NewTabItem("Import", s.imp.content),
		container.NewTabItem("Export", s.export.content),
		container.NewTabItem("Worklist", s.worklist.content),
		container.NewTabItem("Temp IDs", s.ids.content),
	)
	// Short titles: all four fit side by side on a phone, so the tab
	// open is always in view (never behind the overflow menu).
	s.tabs.OnSelected = func(*container.TabItem) { s.load() }
	return NewScreen(s.tabs, s.load)
}

// load refreshes the tab shown: the worklist and temporary IDs read the
// log, export the wards; import has nothing to fetch until asked.
func (s *reconcileScreen) load() {
	switch s.tabs.SelectedIndex() {
	case 1:
		s.export.load()
	case 2:
		s.worklist.load()
	case 3:
		s.ids.load()
	}
}

// reconStore returns the store as a ReconcileStore, or errNoReconcile.
func reconStore(ui *UI) (ReconcileStore, error) {
	rs, ok := ui.Store().(ReconcileStore)
	if !ok {
		return nil, errNoReconcile
	}
	return rs, nil
}

// wholeLog reads every event the store holds.
func wholeLog(ctx context.Context, ui *UI) ([]lifeboat.Event, error) {
	rs, err := reconStore(ui)
	if err != nil {
		return nil, err
	}
	return rs.ReadableLog(ctx)
}
