// Package paper prints Lifeboat's records on paper, for a total blackout:
// the ward list, each patient's MAR and observation chart, the bed board,
// and blank observation charts and MARs to carry on by hand.
//
// Every page of a patient's document carries the four core identifiers
// (SURNAME, First name, date of birth as DD-Mmm-YYYY and the NHS number in
// 3-3-4 form, or the temporary downtime ID) and a QR code whose text
// (Label, see Payload) names the site, the patient, the document and when
// it was printed, so that paper written on in a blackout can be matched
// back to the record afterwards. Ward-level pages (the ward list and the
// bed board) carry the ward and the time printed in the header instead,
// and each patient row carries the identifiers.
//
// The package takes plain data (store views and forms values), never a
// database: the caller gathers it, so every page can be rendered and
// checked in tests. A Book is one PDF; add documents to it and write it
// with Output.
//
// NEWS2 colours follow the RCP chart: a parameter scoring 3 is red, 2
// orange, 1 yellow and 0 white; a total is shown in its band colour with
// the band in words, never by colour alone.
package paper
