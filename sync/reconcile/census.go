package reconcile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"lifeboat"
	"lifeboat/forms"
)

// KindCensusImported records that a census snapshot was imported
// (declared in forms' kind registry).
const KindCensusImported = forms.KindCensusImported

// CensusImported is the payload of census.imported (see forms).
type CensusImported = forms.CensusImported

// ImportCounts says what an import changed (see forms).
type ImportCounts = forms.ImportCounts

// Census is a parsed snapshot, ready to plan.
type Census struct {
	Source   string    // file name or URL it came from
	AsOf     time.Time // when the core system's data was taken
	Patients []CensusPatient
	// Notes lists what the import left out on purpose (a cancelled order,
	// an allergy entered in error) or kept only as text (a maximum over a
	// period other than 24 hours), each with why: the import summary shows
	// every one. They are not errors: the rest imports.
	Notes []RowError
	// LeftOut counts the Notes that are records not imported.
	LeftOut int
	// Ignored counts the FHIR resources of types a census does not read
	// (MedicationAdministration, QuestionnaireResponse, ...), by type.
	Ignored map[string]int
	// OnDefaultWard counts the patients whose bed (or room) the census
	// named with no ward, put on CensusOptions.Ward.
	OnDefaultWard int
	// Covers lists the wards this census lists every current inpatient
	// of, and CoversAll says it lists every inpatient of the hospital (a
	// feed pulling all of them). A patient an earlier census put on a
	// covered ward, missing from this one, has left: Import discharges
	// them as of AsOf. Zero (a hand import of some patients) discharges
	// nobody. A placement recorded on Lifeboat (an admission or move
	// during downtime) is never undone by a census.
	Covers    []string
	CoversAll bool
}

// covers reports whether c lists every current inpatient of ward.
func (c Census) covers(ward string) bool {
	return c.CoversAll || slices.ContainsFunc(c.Covers, func(w string) bool { return strings.EqualFold(w, ward) })
}

// CensusPatient is one patient in a census. Ward empty means registered
// but not on a ward.
type CensusPatient struct {
	Line       int    // CSV line or FHIR entry number, for messages
	NHSNumber  string // 10 digits
	Surname    string
	Given      string
	BirthDate  string // YYYY-MM-DD
	Sex        string // male, female, other, unknown or empty
	Ward       string
	Bed        string
	AdmittedAt time.Time // zero: use the snapshot time
	Medicines  []CensusMedicine
	Allergies  []CensusAllergy
	// NoKnownAllergies is the core system's "no known allergies"; never
	// set together with Allergies.
	NoKnownAllergies bool
	NoKnownNote      string // e.g. "No known drug allergy"
	Weights          []CensusWeight
}

// CensusMedicine is one medicine order from the core system: in force,
// or stopped (Stop set) so the MAR shows it struck through.
type CensusMedicine struct {
	Line             int
	Drug             string
	DMDCode          string
	Dose             forms.Quantity
	DoseUnit         string
	Route            string
	Frequency        string   // a forms frequency code; empty with PRN or Times
	Times            []string // "HH:MM" round times instead of Frequency
	PRN              bool
	MinIntervalHours forms.Quantity // PRN: shortest gap between doses
	MaxDailyDose     forms.Quantity // most in any 24 hours, in MaxDailyDoseUnit
	MaxDailyDoseUnit string
	Controlled       bool
	Start            time.Time // zero: the census time
	Stop             time.Time // zero: no end
	Notes            string    // the prescriber's free text and what could not be structured
}

// CensusAllergy is one allergy from the core system.
type CensusAllergy struct {
	Line      int
	Substance string
	Code      string // SNOMED CT or dm+d concept, digits
	Reaction  string
	Severity  string // forms.SeverityMild, ...Moderate, ...Severe or empty
	Status    string // forms.AllergyActive, ...Inactive, ...Resolved
	Note      string
}

// CensusWeight is one weight from the core system.
type CensusWeight struct {
	Line       int
	Kg         forms.Quantity
	MeasuredAt time.Time // zero: not known
}

// RowError is one problem with one row (CSV line) or entry (FHIR bundle).
type RowError struct {
	Line int    // 1-based; 0 for the input as a whole
	Unit string // "line" or "entry"
	Msg  string
}

func (e RowError) String() string {
	if e.Line == 0 {
		return e.Msg
	}
	return fmt.Sprintf("%s %d: %s", e.Unit, e.Line, e.Msg)
}

// ImportError lists every problem found in an input. Nothing is imported
// when there is one. It wraps lifeboat.ErrInvalid.
type ImportError struct {
	Source string
	Rows   []RowError
}

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "import %s: %d problems, nothing imported", e.Source, len(e.Rows))
	for _, r := range e.Rows {
		b.WriteString("\n  ")
		b.WriteString(r.String())
	}
	return b.String()
}

// Unwrap makes errors.Is(err, lifeboat.ErrInvalid) true.
func (e *ImportError) Unwrap() error { return lifeboat.ErrInvalid }

// CSV columns (see docs/census-csv.md).
var (
	csvRequired = []string{"nhs_number", "surname", "given", "birth_date"}
	csvOptional = []string{"sex", "ward", "bed", "admitted_at", "drug", "dmd_code", "dose", "dose_unit", "route", "frequency",
		"prn_min_interval_hours", "max_daily_dose", "max_daily_dose_unit", "controlled", "start_at", "stop_at", "notes",
		"allergy", "allergy_code", "allergy_reaction", "allergy_severity", "allergy_status",
		"no_known_allergies", "weight_kg", "weighed_at"}
	patientCols = []string{"surname", "given", "birth_date", "sex", "ward", "bed", "admitted_at"}
	// patientExtraCols are patient columns compared as written on repeated rows.
	patientExtraCols = []string{"no_known_allergies", "weight_kg", "weighed_at"}
	medicineCols     = []string{"dmd_code", "dose", "dose_unit", "route", "frequency", "prn_min_interval_hours",
		"max_daily_dose", "max_daily_dose_unit", "controlled", "start_at", "stop_at", "notes"}
	allergyCols = []string{"allergy_code", "allergy_reaction", "allergy_severity", "allergy_status"}
)

// MaxCensusRows bounds a census file, so a wrong file cannot exhaust memory.
const MaxCensusRows = 100_000

// ParseCensusCSV reads a census CSV (see docs/census-csv.md). Every row
// problem is collected; if there is any, the error is an *ImportError and
// the census is empty.
func ParseCensusCSV(r io.Reader, source string, asOf time.Time) (Census, error) {
	return ParseCensusCSVWith(r, source, asOf, CensusOptions{})
}

// ProgressRows is how many rows a census parse reads between calls of
// CensusOptions.Progress.
const ProgressRows = 1000

// ParseCensusCSVWith is ParseCensusCSV reporting progress to
// opts.Progress.
func ParseCensusCSVWith(r io.Reader, source string, asOf time.Time, opts CensusOptions) (Census, error) {
	c := Census{Source: source, AsOf: asOf}
	var errs []RowError
	bad := func(line int, format string, args ...any) {
		errs = append(errs, RowError{Line: line, Unit: "line", Msg: fmt.Sprintf(format, args...)})
	}
	if asOf.IsZero() {
		bad(0, "the time the data is as of is required")
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxCensusBytes+1))
	if err != nil {
		bad(0, "cannot read the file: %v", err)
		return Census{}, &ImportError{Source: source, Rows: errs}
	}
	if len(data) > MaxCensusBytes {
		bad(0, "the file is larger than %d MiB", MaxCensusBytes>>20)
		return Census{}, &ImportError{Source: source, Rows: errs}
	}
	if msg, line := csvEncoding(data); msg != "" {
		bad(line, "%s", msg)
		return Census{}, &ImportError{Source: source, Rows: errs}
	}
	data = bytes.TrimPrefix(data, []byte(utf8BOM))
	total := bytes.Count(data, []byte{'\n'}) // about the rows, for progress
	if len(data) > 0 && data[len(data)-1] != '\n' {
		total++
	}
	total = max(total-1, 0) // the header
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("the file is empty")
		}
		bad(1, "cannot read the header: %v", err)
		return Census{}, &ImportError{Source: source, Rows: errs}
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		known := false
		for _, k := range append(append([]string{}, csvRequired...), csvOptional...) {
			known = known || k == h
		}
		switch {
		case !known:
			bad(1, "unknown column %q", h)
		case col[h] != 0:
			bad(1, "column %q appears twice", h)
		}
		col[h] = i + 1
	}
	for _, k := range csvRequired {
		if col[k] == 0 {
			bad(1, "missing column %q", k)
		}
	}
	if len(errs) > 0 {
		return Census{}, &ImportError{Source: source, Rows: errs}
	}
	byNHS := map[string]int{}
	var firstRaw []map[string]string // patient index -> patientExtraCols as written on its first row
	rows := 0
	for ; ; rows++ {
		if opts.Progress != nil && rows%ProgressRows == 0 && rows > 0 {
			opts.Progress(rows, max(total, rows))
		}
		rec, err := cr.Read()
		line := 0
		if err == nil && len(rec) > 0 {
			line, _ = cr.FieldPos(0)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad(pe.Line, "%v", pe.Err)
				continue
			}
			bad(line, "%v", err)
			break
		}
		if rows >= MaxCensusRows {
			bad(line, "more than %d rows", MaxCensusRows)
			break
		}
		get := func(k string) string {
			if i := col[k]; i > 0 && i <= len(rec) {
				return strings.TrimSpace(rec[i-1])
			}
			return ""
		}
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue
		}
		if len(rec) != len(header) {
			// The columns no longer line up: any other message about
			// this row would name the wrong column.
			bad(line, "has %d columns, the header has %d (a comma too many or too few)", len(rec), len(header))
			continue
		}
		nhs, nhsErr := forms.ParseNHSNumber(get("nhs_number"))
		if nhsErr != nil {
			// Listed, and the rest of the row still checked: a bad NHS
			// number must not hide the row's other problems.
			bad(line, "%s", nhsReason(get("nhs_number"), nhsErr))
		}
		p := CensusPatient{Line: line, NHSNumber: nhs, Surname: get("surname"), Given: get("given"),
			BirthDate: get("birth_date"), Sex: strings.ToLower(get("sex")), Ward: get("ward"), Bed: get("bed")}
		if s := get("admitted_at"); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				bad(line, "admitted_at %q is not a date and time like 2026-11-21T14:30:00Z", s)
			}
			p.AdmittedAt = t.UTC()
		}
		i, seen := byNHS[nhs]
		if seen && nhsErr == nil {
			// A repeated NHS number carries another medicine or allergy;
			// its patient columns must be blank or the same as on the
			// first row.
			first := c.Patients[i]
			for _, k := range patientCols {
				if v := get(k); v != "" && v != patientField(first, k) && !(k == "sex" && strings.EqualFold(v, first.Sex)) {
					bad(line, "%s %q differs from line %d (%q) for NHS number %s", k, v, first.Line, patientField(first, k), forms.FormatNHSNumber(nhs))
				}
			}
			for _, k := range patientExtraCols {
				if v := get(k); v != "" && v != firstRaw[i][k] {
					bad(line, "%s %q differs from line %d (%q) for NHS number %s", k, v, first.Line, firstRaw[i][k], forms.FormatNHSNumber(nhs))
				}
			}
		} else {
			for _, m := range checkPatient(p, asOf) {
				bad(line, "%s", m)
			}
			raw := map[string]string{}
			for _, k := range patientExtraCols {
				raw[k] = get(k)
			}
			if nka, ok := yesNo(get("no_known_allergies")); !ok {
				bad(line, "no_known_allergies %q is not yes or no", get("no_known_allergies"))
			} else {
				p.NoKnownAllergies = nka
			}
			if w, msg := csvWeight(line, get("weight_kg"), get("weighed_at"), asOf); msg != "" {
				bad(line, "%s", msg)
			} else if w != nil {
				p.Weights = append(p.Weights, *w)
			}
			i = len(c.Patients)
			if nhsErr == nil {
				byNHS[nhs] = i
			}
			c.Patients = append(c.Patients, p)
			firstRaw = append(firstRaw, raw)
		}
		if get("allergy") == "" {
			for _, k := range allergyCols {
				if get(k) != "" {
					bad(line, "%s is given but allergy is empty", k)
				}
			}
		} else {
			a := CensusAllergy{Line: line, Substance: get("allergy"), Code: get("allergy_code"), Reaction: get("allergy_reaction"),
				Severity: strings.ToLower(get("allergy_severity")), Status: strings.ToLower(get("allergy_status"))}
			if a.Status == "" {
				a.Status = forms.AllergyActive
			}
			for _, msg := range checkAllergy(a) {
				bad(line, "%s", msg)
			}
			c.Patients[i].Allergies = append(c.Patients[i].Allergies, a)
		}
		if get("drug") == "" {
			for _, k := range medicineCols {
				if get(k) != "" {
					bad(line, "%s is given but drug is empty", k)
				}
			}
			continue
		}
		m := CensusMedicine{Line: line, Drug: get("drug"), DMDCode: get("dmd_code"), DoseUnit: get("dose_unit"), Route: get("route"), Notes: get("notes")}
		if d := get("dose"); d == "" {
			bad(line, "dose is empty")
		} else if q, err := forms.ParseQuantity(d); err != nil {
			bad(line, "dose %q is not a number like 500 or 2.5", d)
		} else if q <= 0 {
			bad(line, "dose %s must be more than zero", d)
		} else {
			m.Dose = q
		}
		if msg := setFrequency(&m, get("frequency")); msg != "" {
			bad(line, "%s", msg)
		}
		if v := get("prn_min_interval_hours"); v != "" {
			if q, err := forms.ParseQuantity(v); err != nil || q <= 0 {
				bad(line, "prn_min_interval_hours %q is not a number of hours like 4 or 0.5", v)
			} else {
				m.MinIntervalHours = q
			}
		}
		if v := get("max_daily_dose"); v != "" {
			if q, err := forms.ParseQuantity(v); err != nil || q <= 0 {
				bad(line, "max_daily_dose %q is not a number like 4 or 4000", v)
			} else {
				m.MaxDailyDose, m.MaxDailyDoseUnit = q, get("max_daily_dose_unit")
				if m.MaxDailyDoseUnit == "" {
					m.MaxDailyDoseUnit = m.DoseUnit
				}
			}
		} else if get("max_daily_dose_unit") != "" {
			bad(line, "max_daily_dose_unit is given but max_daily_dose is empty")
		}
		if (m.MinIntervalHours > 0) && !m.PRN {
			bad(line, "prn_min_interval_hours is only for a PRN medicine")
		}
		if cd, ok := yesNo(get("controlled")); !ok {
			bad(line, "controlled %q is not yes or no", get("controlled"))
		} else {
			m.Controlled = cd
		}
		for _, f := range []struct {
			col string
			t   *time.Time
		}{{"start_at", &m.Start}, {"stop_at", &m.Stop}} {
			if v := get(f.col); v != "" {
				t, err := time.Parse(time.RFC3339, v)
				if err != nil {
					bad(line, "%s %q is not a date and time like 2026-11-21T14:30:00Z", f.col, v)
				}
				*f.t = t.UTC()
			}
		}
		if !m.Start.IsZero() && m.Start.After(asOf) {
			bad(line, "start_at %s is after the census time", m.Start.Format(time.RFC3339))
		}
		if msg := m.settleStop(asOf); msg != "" {
			bad(line, "%s", msg)
		}
		for _, msg := range checkMedicine(m) {
			bad(line, "%s", msg)
		}
		c.Patients[i].Medicines = append(c.Patients[i].Medicines, m)
	}
	if opts.Progress != nil && rows > 0 {
		opts.Progress(rows, rows)
	}
	for _, p := range c.Patients {
		if p.NoKnownAllergies && len(p.Allergies) > 0 {
			bad(p.Line, "no_known_allergies is yes but allergies are listed for NHS number %s", forms.FormatNHSNumber(p.NHSNumber))
		}
	}
	for _, m := range oneBedEach(c.Patients, "line") {
		bad(m.Line, "%s", m.Msg)
	}
	if len(c.Patients) == 0 && len(errs) == 0 {
		// Importing it would move "patient data as of" forward with
		// nobody in it: an export cut short looks just like this.
		bad(1, "the file has a header but no patients: nothing to import")
	}
	if len(errs) > 0 {
		return Census{}, &ImportError{Source: source, Rows: errs}
	}
	return c, nil
}

func patientField(p CensusPatient, k string) string {
	switch k {
	case "surname":
		return p.Surname
	case "given":
		return p.Given
	case "birth_date":
		return p.BirthDate
	case "sex":
		return p.Sex
	case "ward":
		return p.Ward
	case "bed":
		return p.Bed
	case "admitted_at":
		if p.AdmittedAt.IsZero() {
			return ""
		}
		return p.AdmittedAt.Format(time.RFC3339)
	}
	return ""
}

// nhsReason words an NHS number problem for a row message.
func nhsReason(raw string, err error) string {
	if strings.TrimSpace(raw) == "" {
		return "NHS number is empty"
	}
	msg := err.Error()
	msg = strings.TrimSuffix(msg, ": "+lifeboat.ErrInvalid.Error())
	msg = strings.TrimSuffix(msg, ": please re-check it")
	return msg
}

var sexes = map[string]bool{"": true, "male": true, "female": true, "other": true, "unknown": true}

// utf8BOM is the byte order mark some tools put at the start of UTF-8.
const utf8BOM = "\ufeff"

// csvEncoding says why data is not UTF-8 text, and the first line where it
// is not, or "". A Latin-1 or Windows-1252 file is refused, not converted:
// the bytes alone do not say which of the two (or another code page) it is,
// and a name converted wrongly ("ZoÃ«", "Zo\uFFFD") would no longer match
// the patient's wristband or the core system. Saving it as UTF-8 is one
// step in any spreadsheet.
func csvEncoding(data []byte) (string, int) {
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		return "the file is UTF-16: save it as UTF-8 (\"CSV UTF-8\" in a spreadsheet)", 1
	}
	if utf8.Valid(data) {
		return "", 0
	}
	line := 1
	for len(data) > 0 {
		r, n := utf8.DecodeRune(data)
		if r == utf8.RuneError && n <= 1 {
			return fmt.Sprintf("is not UTF-8 text (byte 0x%02X; Latin-1 or Windows-1252?): save the file as UTF-8 (\"CSV UTF-8\" in a spreadsheet)", data[0]), line
		}
		if r == '\n' {
			line++
		}
		data = data[n:]
	}
	return "", 0
}

// oneBedEach lists each bed given to two patients, naming both lines (or
// entries: unit).
func oneBedEach(ps []CensusPatient, unit string) []RowError {
	type place struct{ ward, bed string }
	first := map[place]int{}
	var ms []RowError
	for i, p := range ps {
		if p.Bed == "" || p.Ward == "" {
			continue
		}
		k := place{strings.ToLower(p.Ward), strings.ToLower(p.Bed)}
		j, taken := first[k]
		if !taken {
			first[k] = i
			continue
		}
		q := ps[j]
		ms = append(ms, RowError{Line: p.Line, Unit: unit, Msg: fmt.Sprintf("bed %s on ward %s is also given to %s %d: two patients in one bed",
			p.Bed, p.Ward, unit, q.Line)})
	}
	return ms
}

// checkPatient lists what is wrong with a census patient's own fields;
// asOf is the census time (no one is born after it).
func checkPatient(p CensusPatient, asOf time.Time) []string {
	var ms []string
	if p.Surname == "" {
		ms = append(ms, "surname is empty")
	}
	if p.Given == "" {
		ms = append(ms, "given name is empty")
	}
	if p.BirthDate == "" {
		ms = append(ms, "birth_date is empty")
	} else if d, err := time.Parse(time.DateOnly, p.BirthDate); err != nil {
		ms = append(ms, fmt.Sprintf("birth_date %q is not a date like 1948-02-11", p.BirthDate))
	} else if d.Year() < 1880 {
		ms = append(ms, fmt.Sprintf("birth_date %s is before 1880", p.BirthDate))
	} else if !asOf.IsZero() && p.BirthDate > asOf.Format(time.DateOnly) {
		ms = append(ms, fmt.Sprintf("birth_date %s is after the census date (%s)", p.BirthDate, asOf.Format(time.DateOnly)))
	}
	if !sexes[p.Sex] {
		ms = append(ms, fmt.Sprintf("sex %q is not male, female, other or unknown", p.Sex))
	}
	if p.Bed != "" && p.Ward == "" {
		ms = append(ms, "bed is given but ward is empty")
	}
	return ms
}

var frequencies = []string{forms.FreqOD, forms.FreqMANE, forms.FreqON, forms.FreqBD, forms.FreqTDS, forms.FreqQDS, forms.FreqWeekly}

// setFrequency reads a frequency code or PRN into m.
func setFrequency(m *CensusMedicine, f string) string {
	f = strings.ToUpper(strings.TrimSpace(f))
	switch f {
	case "":
		return "frequency is empty (OD, MANE, ON, BD, TDS, QDS, WEEKLY or PRN)"
	case "PRN":
		m.PRN = true
		return ""
	}
	for _, k := range frequencies {
		if k == f {
			m.Frequency = f
			return ""
		}
	}
	return fmt.Sprintf("frequency %q is not OD, MANE, ON, BD, TDS, QDS, WEEKLY or PRN", f)
}

// checkMedicine lists the hard problems forms finds with the order m
// would become.
func checkMedicine(m CensusMedicine) []string {
	o := m.order("x", "x", time.Unix(1, 0))
	var ms []string
	for _, p := range o.Validate() {
		if !p.Soft && p.Field != "dose" && p.Field != "stop" { // settleStop words a bad stop
			ms = append(ms, strings.ToLower(p.Message[:1])+p.Message[1:]+" ("+p.Field+")")
		}
	}
	return ms
}

// order is the snapshot medication order m becomes; start is the census
// time, used when m has no start of its own.
func (m CensusMedicine) order(id, patientID string, start time.Time) forms.MedicationOrder {
	if !m.Start.IsZero() {
		start = m.Start
	}
	return forms.MedicationOrder{ID: id, PatientID: patientID, Drug: m.Drug, DMDCode: m.DMDCode, Dose: m.Dose,
		DoseUnit: m.DoseUnit, Route: m.Route, Frequency: m.Frequency, Times: m.Times, PRN: m.PRN,
		MinIntervalHours: m.MinIntervalHours, MaxDailyDose: m.MaxDailyDose, MaxDailyDoseUnit: m.MaxDailyDoseUnit,
		Controlled: m.Controlled, Start: start, Stop: m.Stop, Source: forms.SourceSnapshot, Notes: m.Notes}
}

// settleStop checks m's stop against its start (the census time when m
// has none): an order that stopped before the census needs its own start.
func (m CensusMedicine) settleStop(asOf time.Time) string {
	if m.Stop.IsZero() {
		return ""
	}
	start := m.Start
	if start.IsZero() {
		start = asOf
	}
	if !m.Stop.After(start) {
		return fmt.Sprintf("stops at %s, not after it starts (%s): an order stopped before the census needs its start time",
			m.Stop.Format(time.RFC3339), start.Format(time.RFC3339))
	}
	return ""
}

// yesNo reads a yes/no column; blank is no.
func yesNo(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "y", "true", "1":
		return true, true
	case "no", "n", "false", "0", "":
		return false, true
	}
	return false, false
}

// MaxWeightKg bounds an imported weight before it becomes a Quantity
// (anything heavier is a typo); forms.Weight's limits then apply, the same
// as to a weight recorded on the ward.
const MaxWeightKg = 700

// csvWeight reads the weight_kg and weighed_at columns.
func csvWeight(line int, kg, at string, asOf time.Time) (*CensusWeight, string) {
	if kg == "" {
		if at != "" {
			return nil, "weighed_at is given but weight_kg is empty"
		}
		return nil, ""
	}
	w := &CensusWeight{Line: line}
	q, err := forms.ParseQuantity(kg)
	if err != nil {
		return nil, fmt.Sprintf("weight_kg %q is not a number of kilograms like 72.5", kg)
	}
	w.Kg = q
	if msg := checkWeight(*w); msg != "" {
		return nil, msg
	}
	if at != "" {
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			return nil, fmt.Sprintf("weighed_at %q is not a date and time like 2026-11-21T14:30:00Z", at)
		}
		if t.After(asOf) {
			return nil, fmt.Sprintf("weighed_at %s is after the census time", at)
		}
		w.MeasuredAt = t.UTC()
	}
	return w, ""
}

// checkWeight says what is wrong with a weight, or "".
func checkWeight(w CensusWeight) string {
	if w.Kg < forms.WeightMinKg || w.Kg > forms.WeightMaxKg {
		return fmt.Sprintf("weight %s kg is not between %s and %s kg", w.Kg, forms.WeightMinKg, forms.WeightMaxKg)
	}
	return ""
}

var (
	severities      = map[string]bool{"": true, forms.SeverityMild: true, forms.SeverityModerate: true, forms.SeveritySevere: true}
	allergyStatuses = map[string]bool{forms.AllergyActive: true, forms.AllergyInactive: true, forms.AllergyResolved: true}
)

// checkAllergy lists what is wrong with an imported allergy.
func checkAllergy(a CensusAllergy) []string {
	var ms []string
	if strings.TrimSpace(a.Substance) == "" {
		ms = append(ms, "allergy has no substance")
	}
	if a.Code != "" && !digits(a.Code) {
		ms = append(ms, fmt.Sprintf("allergy code %q is not a SNOMED CT or dm+d code (digits)", a.Code))
	}
	if !severities[a.Severity] {
		ms = append(ms, fmt.Sprintf("allergy severity %q is not mild, moderate or severe", a.Severity))
	}
	if !allergyStatuses[a.Status] {
		ms = append(ms, fmt.Sprintf("allergy status %q is not active, inactive or resolved", a.Status))
	}
	return ms
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
