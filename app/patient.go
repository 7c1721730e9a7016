package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// obsDraft is a half-filled observation form, kept per patient until it is
// saved or discarded.
type obsDraft struct {
	values map[string]string
}

// newPatientScreen builds a patient's record.
func newPatientScreen(ui *UI, id string) fyne.CanvasObject {
	return widget.NewLabel("Patient")
}
