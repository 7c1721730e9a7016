package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lifeboat"
	"lifeboat/sync/reconcile"
)

// maxRowErrors is how many row problems the import tab lists; the rest
// are counted. A wrong file can have thousands, and the first ones are
// enough to see what is wrong with it.
const maxRowErrors = 200

// importTab imports a census (CSV or FHIR JSON) from the core systems:
// every row is checked first and nothing is imported if any is wrong.
type importTab struct {
	ui      *UI
	content fyne.CanvasObject

	path    *widget.Entry
	asOf    *widget.Entry
	run     *widget.Button
	browse  *widget.Button
	bar     *widget.ProgressBar
	msg     *widget.Label
	result  *widget.Label
	rows    *fyne.Container
	running bool
}

func newImportTab(ui *UI) *importTab {
	t := &importTab{ui: ui, path: widget.NewEntry(), asOf: widget.NewEntry(), bar: newProgressBar(),
		msg: errorLabel(), result: wrapped(""), rows: container.NewVBox()}
	t.path.SetPlaceHolder("Census file: CSV or FHIR .json")
	t.asOf.SetPlaceHolder("Data as of: DD-Mmm-YYYY HH:MM")
	t.path.OnChanged = func(string) { ui.Touch() }
	t.asOf.OnChanged = func(string) { ui.Touch() }
	t.browse = widget.NewButtonWithIcon("Choose file", theme.FolderOpenIcon(), t.choose)
	t.run = widget.NewButtonWithIcon("Import census", theme.DownloadIcon(), t.start)
	t.run.Importance = widget.HighImportance
	t.bar.Hide()
	t.result.Hide()
	form := container.NewVBox(
		heading("Import the census", theme.SizeNameSubHeadingText),
		wrapped("The patients, beds and active medicines the core systems held before downtime. "+
			"Every row is checked first: if any is wrong, each problem is listed below and nothing is imported. "+
			"A newer census updates patients without duplicating anyone; an older one is refused."),
		widget.NewLabelWithStyle("File", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewBorder(nil, nil, nil, t.browse, t.path),
		widget.NewLabelWithStyle("Data as of", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		wrapped("When the core system's data was taken. Needed for a CSV file; a FHIR file carries its own time if this is left empty."),
		t.asOf,
		newFlow(t.run),
		t.bar, t.msg, t.result, t.rows,
	)
	t.content = container.NewVScroll(container.NewPadded(form))
	return t
}

// choose opens Fyne's file dialog for a .csv or .json file.
func (t *importTab) choose() {
	t.ui.Touch()
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			setMsg(t.msg, MsgReadFile)
			return
		}
		if r == nil {
			return
		}
		t.path.SetText(r.URI().Path())
		r.Close()
	}, t.ui.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".csv", ".json"}))
	d.Show()
}

// isJSONCensus says whether a census file is a FHIR Bundle rather than CSV.
func isJSONCensus(name string, data []byte) bool {
	if strings.EqualFold(filepath.Ext(name), ".json") {
		return true
	}
	return strings.HasPrefix(strings.TrimSpace(string(data[:min(len(data), 64)])), "{")
}

// start checks what was typed, then reads, parses and imports the file on
// Run's goroutine, moving the progress bar at each stage.
func (t *importTab) start() {
	if t.running {
		return
	}
	path := strings.TrimSpace(t.path.Text)
	if path == "" {
		setMsg(t.msg, "Choose the census file first.")
		return
	}
	var asOf time.Time
	if s := strings.TrimSpace(t.asOf.Text); s != "" {
		at, err := parseWhen(s, t.ui.Now())
		if err != nil {
			setMsg(t.msg, "Data as of: "+ErrorText(err))
			return
		}
		asOf = at
	}
	sess := t.ui.Session()
	setMsg(t.msg, "")
	t.result.Hide()
	t.rows.RemoveAll()
	t.setRunning(true)
	step := func(v float64) { t.ui.do(func() { t.bar.SetValue(v) }) }

	var (
		census reconcile.Census
		res    reconcile.ImportResult
		needAt bool
	)
	t.ui.Run(func(ctx context.Context) error {
		rs, err := reconStore(t.ui)
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("%w: %w", errReadFile, err)
		}
		defer f.Close()
		// Bounded, so a wrong file cannot exhaust memory.
		data, err := io.ReadAll(io.LimitReader(f, reconcile.MaxCensusBytes+1))
		if err != nil {
			return fmt.Errorf("%w: %w", errReadFile, err)
		}
		if len(data) > reconcile.MaxCensusBytes {
			return &reconcile.ImportError{Rows: []reconcile.RowError{{Msg: "the file is too big to be a census"}}}
		}
		step(0.25)
		source := filepath.Base(path)
		if isJSONCensus(path, data) {
			// A bed the census names with no ward above it goes on this
			// device's ward, as lifeboat import does by default.
			ward, err := deviceWard(ctx, t.ui.Store())
			if err != nil {
				return err
			}
			census, err = reconcile.ParseCensusFHIRWith(data, source, asOf, reconcile.CensusOptions{Ward: ward})
		} else {
			if asOf.IsZero() {
				needAt = true
				return nil
			}
			census, err = reconcile.ParseCensusCSV(strings.NewReader(string(data)), source, asOf)
		}
		if err != nil {
			return err
		}
		step(0.5)
		res, err = reconcile.Import(ctx, rs, reconcile.StoreAppender(t.ui.Store(), sess), census)
		if err == nil {
			step(1)
		}
		return err
	}, func(err error) {
		t.setRunning(false)
		var ie *reconcile.ImportError
		switch {
		case needAt:
			setMsg(t.msg, "A CSV census needs its time: type when the core system's data was taken in Data as of.")
		case errors.As(err, &ie):
			t.showRows(ie)
		case errors.Is(err, lifeboat.ErrConflict):
			setMsg(t.msg, MsgOlderCensus)
		case err != nil:
			setMsg(t.msg, reconcileText(err))
		default:
			n := res.Counts
			t.result.SetText(fmt.Sprintf("Imported %s, data as of %s: %s (%d new, %d updated), %s, %s, %s added and %d stopped. %s recorded.",
				census.Source, census.AsOf.Local().Format(DateTimeLayout), plural(n.Patients, "patient"), n.NewPatients, n.UpdatedPatients,
				plural(n.Admissions, "admission"), plural(n.Transfers, "transfer"), plural(n.Medicines, "medicine"), n.StoppedMedicines,
				plural(res.Events, "event")) + fmt.Sprintf(" Allergies: %d recorded, %d with none known; %s.",
				n.Allergies, n.NoKnownAllergies, plural(n.Weights, "weight")))
			t.result.Show()
			if len(census.Notes) > 0 {
				lines := []string{fmt.Sprintf("%s not imported and %d kept only as text: chart any that matter by hand.", plural(census.LeftOut, "record"), len(census.Notes)-census.LeftOut)}
				for _, r := range census.Notes {
					if text := r.String(); text != "" {
						lines = append(lines, strings.ToUpper(text[:1])+text[1:])
					}
				}
				t.rows.Add(wrapped(strings.Join(lines, "\n")))
			}
		}
	})
}

// showRows lists every problem found, by line or entry number.
func (t *importTab) showRows(ie *reconcile.ImportError) {
	setMsg(t.msg, fmt.Sprintf("Nothing was imported: %s found in the file. Correct the file and import it again.", plural(len(ie.Rows), "problem")))
	// One label, a line per problem: compact enough to read down a long list.
	var lines []string
	for i, r := range ie.Rows {
		if i == maxRowErrors {
			lines = append(lines, fmt.Sprintf("… and %d more.", len(ie.Rows)-maxRowErrors))
			break
		}
		if text := r.String(); text != "" {
			lines = append(lines, strings.ToUpper(text[:1])+text[1:])
		}
	}
	t.rows.RemoveAll()
	t.rows.Add(wrapped(strings.Join(lines, "\n")))
}

// setRunning shows the progress bar and stops a second import starting
// while one runs.
func (t *importTab) setRunning(on bool) {
	t.running = on
	if on {
		t.bar.SetValue(0)
		t.bar.Show()
		t.run.Disable()
		t.browse.Disable()
		return
	}
	t.bar.Hide()
	t.run.Enable()
	t.browse.Enable()
}

// deviceWard is the ID of this device's own ward: the site's ward matched
// to a known ward's ID or name (as written if none matches, as a census
// ward code is).
func deviceWard(ctx context.Context, st Store) (string, error) {
	site, err := st.Site(ctx)
	if err != nil {
		return "", err
	}
	wards, err := st.Wards(ctx)
	if err != nil {
		return "", err
	}
	for _, w := range wards {
		if strings.EqualFold(w.ID, site.Ward) || strings.EqualFold(w.Name, site.Ward) {
			return w.ID, nil
		}
	}
	return site.Ward, nil
}
