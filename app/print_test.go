package app

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"lifeboat/cmd/lifeboat/cli"
	"lifeboat/store"
)

// captureSave makes saveFile write into a buffer and returns it with the
// file name asked for.
func captureSave(t *testing.T) (*bytes.Buffer, *string) {
	var buf bytes.Buffer
	var name string
	old := saveFile
	saveFile = func(_ *UI, n string, write func(io.Writer) error, done func(error)) {
		name = n
		done(write(&buf))
	}
	t.Cleanup(func() { saveFile = old })
	return &buf, &name
}

func audited(t *testing.T, db *store.DB, action, detail string) bool {
	t.Helper()
	entries, err := db.AuditLog(t.Context(), 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(entries, func(e store.AuditEntry) bool {
		return e.Action == action && strings.Contains(e.Detail, detail)
	})
}

// The nurse prints the ward list, then one patient's charts: each is a
// PDF, saved where chosen, and audited (the patient's record as viewed).
func TestPrint_WardAndPatient(t *testing.T) {
	ui, db, _ := newTestUI(t, desktop)
	signInAs(t, ui, "Nia Nurse", cli.DemoNursePIN)
	buf, name := captureSave(t)
	tap(t, ui, "Print")
	mustShow(t, ui, "Every patient's MAR and NEWS2 chart", "Bed board")
	tap(t, ui, "Ward list")
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) || !strings.HasPrefix(*name, "ward-2026-11-22-") {
		t.Fatalf("saved %q (%d bytes, starts %q); want the ward list PDF", *name, buf.Len(), buf.Bytes()[:min(8, buf.Len())])
	}
	if !audited(t, db, "data.exported", "printed ward for 18 patients") {
		t.Error("the ward list print was not audited")
	}

	buf.Reset()
	test.Tap(card(t, ui, "OKAFOR, Grace"))
	settle(ui)
	tap(t, ui, "Print")
	tap(t, ui, "MAR and NEWS2 chart")
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) || !strings.HasPrefix(*name, "okafor-patient-") {
		t.Fatalf("saved %q (%d bytes); want Grace Okafor's charts", *name, buf.Len())
	}
	if !audited(t, db, "data.exported", "printed patient for 1 patients") {
		t.Error("the patient print was not audited")
	}
}
