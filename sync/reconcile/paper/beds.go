package paper

import (
	"fmt"
	"strings"

	"lifeboat/forms"
	"lifeboat/store"
)

// Bed board geometry: tiles in rows, as on a ward's whiteboard.
const (
	tilesAcross = 6
	tileGap     = 2.0
	tileH       = 35.0
)

// bedStateColours is how each state looks, as in the app: a solid strip
// with the state in words (never colour alone).
func bedStateColours(s forms.BedState) (bg, fg rgb) {
	switch s {
	case forms.BedAvailable:
		return rgb{0x00, 0x7F, 0x3B}, white
	case forms.BedOccupied:
		return nhsBlue, white
	case forms.BedCleaning:
		return rgb{0xFF, 0xB8, 0x1C}, black
	case forms.BedClosed:
		return rgb{0x42, 0x54, 0x63}, white
	case forms.BedIsolation:
		return purple, white
	}
	return lightGrey, black
}

// BedBoard adds the ward's bed board: a tile per bed in board order with
// its state and the patient in it (the four core identifiers), the
// sitrep counts, and any patient on the ward without a bed. patients maps
// patient IDs to their details; a placed patient missing from it is
// printed by ID.
func (b *Book) BedBoard(board forms.WardBoard, patients map[string]store.PatientView) {
	var y, pageH float64
	tileW := (277 - tileGap*(tilesAcross-1)) / tilesAcross
	newPage := func() {
		_, y = b.startPage("L", DocBeds, "Bed board", nil)
		_, pageH = b.pdf.GetPageSize()
		s := board.Summary()
		b.font("B", 9)
		b.text(margin, y-1.5, 277, 5, fmt.Sprintf("Open beds %d (core %d, %d closed; escalation open %d)   Occupied %d   Available %d   Cleaning %d   Isolation %d   Occupancy %.1f%%",
			s.Open, s.CoreBeds, s.Closed, s.EscalationBedsOpen, s.Occupied, s.Available, s.Cleaning, s.Isolation, s.OccupancyPct), "L")
		y += 5
	}
	newPage()
	for i, v := range board.Beds {
		col := i % tilesAcross
		if col == 0 && i > 0 {
			y += tileH + tileGap
		}
		if col == 0 && y+tileH > bottom(pageH) {
			newPage()
		}
		b.bedTile(margin+float64(col)*(tileW+tileGap), y, tileW, v, patients)
	}
	if len(board.Beds) > 0 {
		y += tileH + tileGap
	}
	if len(board.Unbedded) == 0 {
		return
	}
	if y+12 > bottom(pageH) {
		newPage()
	}
	b.font("B", 10)
	b.ink(nhsRed)
	b.text(margin, y+1, 277, 6, "On the ward without a bed (find them a bed or correct the record):", "L")
	b.ink(black)
	y += 7
	for _, u := range board.Unbedded {
		if y+6 > bottom(pageH) {
			newPage()
		}
		b.font("", 10)
		b.text(margin, y, 277, 6, patientLine(u.PatientID, patients)+"   bed on record: "+orNone(u.Bed), "L")
		y += 6
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// patientLine is a patient's four core identifiers on one line.
func patientLine(id string, patients map[string]store.PatientView) string {
	p, ok := patients[id]
	if !ok {
		return "patient " + id + " (details not on this device)"
	}
	_, nhs := identifier(p.Patient)
	return fmt.Sprintf("%s, %s   DOB %s   %s", toUpper(p.Surname), strings.TrimSpace(p.Given), forms.FormatBirthDate(p.BirthDate), nhs)
}

// bedTile draws one bed.
func (b *Book) bedTile(x, y, w float64, v forms.BedView, patients map[string]store.PatientView) {
	const strip = 7.0
	bg, fg := bedStateColours(v.State)
	b.pdf.SetLineWidth(0.4)
	b.box(x, y, w, tileH, &white)
	b.box(x, y, w, strip, &bg)
	b.pdf.SetLineWidth(0.2)
	b.ink(fg)
	b.font("B", 10)
	b.text(x+1, y, w*0.5, strip, v.Bed.Label, "L")
	b.font("B", 8)
	b.text(x+w*0.45, y, w*0.55-1, strip, strings.ToUpper(string(v.State)), "R")
	b.ink(black)
	if v.Bed.Escalation {
		b.font("", 7)
		b.ink(grey)
		b.text(x+w/2, y+strip+0.5, w/2-1, 4, "escalation bed", "R")
		b.ink(black)
	}
	ty := y + strip + 1
	switch len(v.Patients) {
	case 0:
		b.font("", 8.5)
		b.ink(grey)
		if v.Recorded != "" && v.Recorded != v.State {
			b.text(x+1, ty, w-2, 5, "recorded as "+string(v.Recorded), "L")
		}
		b.ink(black)
	default:
		p, ok := patients[v.Patients[0]]
		if !ok {
			b.font("", 8.5)
			b.text(x+1, ty, w-2, 5, "patient not on this device", "L")
			break
		}
		_, nhs := identifier(p.Patient)
		b.font("B", 10.5)
		b.text(x+1, ty, w-2, 5.5, toUpper(p.Surname), "L")
		b.font("", 10)
		b.text(x+1, ty+5.5, w-2, 5, strings.TrimSpace(p.Given), "L")
		b.font("", 9)
		b.text(x+1, ty+11, w-2, 4.5, "DOB "+forms.FormatBirthDate(p.BirthDate), "L")
		b.text(x+1, ty+15.5, w-2, 4.5, nhs, "L")
	}
	if v.Note != "" {
		b.font("B", 7)
		b.ink(nhsRed)
		lines := b.pdf.SplitText(v.Note, w-3)
		if len(lines) > 2 {
			lines = lines[:2]
		}
		for i, l := range lines {
			b.text(x+1, y+tileH-7.5+float64(i)*3.3, w-2, 3.3, l, "L")
		}
		b.ink(black)
	}
}
