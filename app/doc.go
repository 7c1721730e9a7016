// Package app is Lifeboat's user interface, built with Fyne: the unlock and
// sign-in screens, the "DOWNTIME MODE" banner on every screen, the ward
// list, the patient record with its observation chart and form, and the
// navigation other screens plug into.
//
// It holds no business rules: clinical scoring and validation come from
// package forms, storage from the Store interface (which *store.DB
// satisfies), so tests hand it a real store in a temp dir. It never imports
// fyne.io/fyne/v2/app (only cmd/lifeboat does), so its tests run with
// fyne.io/fyne/v2/test, without cgo, OpenGL or a display.
//
// # Adding a screen
//
// A new part of the app is a file of its own that registers itself:
//
//	func init() {
//		app.Register(app.Section{ID: "beds", Title: "Beds", Order: 20,
//			Roles: []lifeboat.Role{lifeboat.RoleBedManager, lifeboat.RoleWardStaff},
//			Make:  newBedsScreen})
//	}
//
// Sections appear in the sidebar (desktop) or behind Menu (phone, below
// NarrowWidth) for the roles they name. A tab of the patient screen is
// registered the same way with RegisterPatientTab. Make returns the screen;
// wrap its content in NewScreen(content, reload) so it is reloaded when
// shown and after every change to the store (local or from a peer).
// Deeper screens go on top with UI.Push (Back comes with it); a patient
// opens with UI.ShowPatient.
//
// # Rules every screen keeps
//
//   - Fyne callbacks never block: store calls go in UI.Run's work function
//     (its own goroutine); widgets change in its done function (Fyne's
//     goroutine).
//   - Errors reach people only through UI.ShowError or ErrorText, in plain
//     words; raw error strings may hold patient data and are never shown.
//   - Patient screens show PatientHeader (the four core identifiers).
//   - Performed times are shown and editable, never silently "now".
//
// Every exported method that changes what is on screen must be called on
// Fyne's goroutine: from anywhere else wrap the call in fyne.Do.
package app
