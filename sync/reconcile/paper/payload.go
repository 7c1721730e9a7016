package paper

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// PayloadPrefix starts every QR code text Lifeboat prints: the format's
// name and version.
const PayloadPrefix = "LB1"

// payloadTime is how the printed-at time is written in a QR code: UTC to
// the second, short so the code stays small and easy to scan.
const payloadTime = "20060102T150405Z"

// Document names, as written in QR codes and given to `lifeboat print`.
const (
	DocWard     = "ward"      // the ward list
	DocMAR      = "mar"       // a patient's MAR for the day
	DocObs      = "obs"       // a patient's observation chart
	DocBeds     = "beds"      // the ward's bed board
	DocBlankObs = "blank-obs" // a blank observation chart for a patient
	DocBlankMAR = "blank-mar" // a blank MAR for a patient
	DocWorklist = "worklist"  // the back-entry report: what is left
)

// Label is what a printed page's QR code says: which site printed it,
// whom or what it is about, which document it is and when it was printed.
// Subject is the patient's ID on a patient's document, and "ward:<id>"
// on the ward list and the bed board.
type Label struct {
	Site      string
	Subject   string
	Doc       string
	PrintedAt time.Time // UTC, to the second
}

// ErrBadPayload is returned by ParsePayload for text that is not a
// Lifeboat page label.
var ErrBadPayload = errors.New("not a Lifeboat printout code")

// Payload is l as QR code text: "LB1|<site>|<subject>|<doc>|<printed-at>",
// the time as 20061102T150405Z. A "|" inside a field is dropped (IDs never
// hold one).
func (l Label) Payload() string {
	clean := func(s string) string { return strings.ReplaceAll(s, "|", "") }
	return strings.Join([]string{PayloadPrefix, clean(l.Site), clean(l.Subject), clean(l.Doc),
		l.PrintedAt.UTC().Format(payloadTime)}, "|")
}

// ParsePayload reads the text of a printout's QR code back into a Label.
func ParsePayload(s string) (Label, error) {
	f := strings.Split(s, "|")
	if len(f) != 5 || f[0] != PayloadPrefix {
		return Label{}, ErrBadPayload
	}
	if f[3] == "" || f[2] == "" {
		return Label{}, fmt.Errorf("%w: no subject or document", ErrBadPayload)
	}
	at, err := time.Parse(payloadTime, f[4])
	if err != nil {
		return Label{}, fmt.Errorf("%w: printed-at %q", ErrBadPayload, f[4])
	}
	return Label{Site: f[1], Subject: f[2], Doc: f[3], PrintedAt: at}, nil
}
