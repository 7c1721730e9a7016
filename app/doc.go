// Package app is Lifeboat's user interface, built with Fyne: the shell every
// screen sits in, the "DOWNTIME MODE" banner, the Lifeboat theme, and (as
// they arrive) the ward screens and their view models.
//
// It holds no business rules: clinical scoring, storage and sync are reached
// through interfaces so tests can hand it fakes or a real store in a temp
// dir. It never imports fyne.io/fyne/v2/app (only cmd/lifeboat does), so its
// tests run with fyne.io/fyne/v2/test, without cgo, OpenGL or a display.
//
// Every exported method that changes what is on screen must be called on
// Fyne's goroutine: from anywhere else wrap the call in fyne.Do.
package app
