package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat/sync/reconcile/paper"
)

// printChoice is one printout a Print button offers.
type printChoice struct {
	Label, Doc string
}

// wardPrints and patientPrints are what the ward list's and a patient's
// Print buttons offer.
var (
	wardPrints = []printChoice{
		{"Ward list", paper.DocWard},
		{"Every patient's MAR and NEWS2 chart", paper.DocPatient},
		{"Blank observation charts for every patient", paper.DocBlankObs},
		{"Bed board", paper.DocBeds},
	}
	patientPrints = []printChoice{
		{"MAR and NEWS2 chart", paper.DocPatient},
		{"Blank observation chart", paper.DocBlankObs},
		{"Blank MAR", paper.DocBlankMAR},
	}
)

// showPrint asks which printout to make (for the ward, or for patientID
// if set) and makes it.
func (ui *UI) showPrint(choices []printChoice, patientID string) {
	ui.Touch()
	var d dialog.Dialog
	box := container.NewVBox(wrapped("A PDF to print now, while there is power and a printer. Every page shows the patient's details and a QR code that matches the paper back to the record."))
	for _, c := range choices {
		b := widget.NewButtonWithIcon(c.Label, theme.DocumentPrintIcon(), func() {
			d.Hide()
			ui.printPDF(c.Doc, patientID)
		})
		b.Alignment = widget.ButtonAlignLeading
		box.Add(b)
	}
	d = dialog.NewCustom("Print", "Cancel", box, ui.win)
	d.Resize(fyne.NewSize(min(ui.win.Canvas().Size().Width-24, 520), 0))
	d.Show()
}

// printPDF makes doc as a PDF off the UI thread, lets the person save it,
// then audits it as the print command does (each patient's record viewed,
// the printout as an export).
func (ui *UI) printPDF(doc, patientID string) {
	var (
		buf  bytes.Buffer
		job  paper.Job
		sess = ui.Session()
		now  = ui.Now()
	)
	ui.Run(func(ctx context.Context) (err error) {
		if job, err = paper.Gather(ctx, ui.Store(), "", patientID, now); err != nil {
			return err
		}
		job.Header.PrintedBy = sess.User.Name
		book := paper.New(job.Header)
		job.Render(book, doc)
		return book.Output(&buf)
	}, func(err error) {
		if err != nil {
			ui.ShowError(err)
			return
		}
		name := doc + "-" + now.Local().Format("2006-01-02-1504") + ".pdf"
		if patientID != "" && len(job.Patients) == 1 {
			name = strings.ToLower(job.Patients[0].Surname) + "-" + name
		}
		saveFile(ui, name, func(w io.Writer) error { _, err := w.Write(buf.Bytes()); return err }, func(err error) {
			if err != nil {
				ui.log.Warn("save printout", "kind", errorKind(err))
				ui.ShowError(Plain("The PDF could not be saved there. Choose another folder and try again."))
				return
			}
			ui.Run(func(ctx context.Context) error {
				if paper.PerPatient(doc) {
					for _, p := range job.Patients {
						if err := ui.Store().RecordView(ctx, sess, p.ID); err != nil {
							return err
						}
					}
				}
				return ui.Store().RecordExport(ctx, sess, fmt.Sprintf("printed %s for %d patients of ward %s", doc, len(job.Patients), job.Header.WardID))
			}, func(err error) {
				if err != nil {
					ui.ShowError(err)
				}
			})
		})
	})
}
