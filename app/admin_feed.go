package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"lifeboat"
	"lifeboat/store"
	"lifeboat/sync/feed"
	"lifeboat/sync/reconcile"
)

// The feed's source, as the panel offers it.
const (
	feedFromFHIR   = "The core system's FHIR server"
	feedFromFolder = "A shared folder of extracts"
)

// feedPanel is the admin screen's "Core system feed" tab: the data
// folder's feed.json (where the census comes from, how often, when a
// failing feed counts as an outage, the paths of the token and CA files:
// never a secret), which an IT admin edits and saves, and the feed's state
// from the log (the newest census and feed.status). "Pull now" runs
// Options.PullFeed once when the app has one.
type feedPanel struct {
	ui   *UI
	path string // the feed.json; "" when there is no data folder

	content *fyne.Container
	file    *widget.Label // what the file holds, or that there is none
	msg     *widget.Label // a refusal, in plain words
	saved   *widget.Label // "Saved", or a pull's summary
	state   *widget.Label // the newest census and feed.status

	from                                       *widget.Select
	base, folder, every, outage, token, ca, wd *widget.Entry
	fhirRows, folderRows                       *fyne.Container
	pull                                       *widget.Button

	// kept is the file as read: what the form does not edit (OAuth2,
	// the wards to pull, the page size) is saved as it was.
	kept feed.Config
}

func newFeedPanel(ui *UI) *feedPanel {
	p := &feedPanel{ui: ui, path: ui.feedConfig, file: wrapped(""), msg: errorLabel(), saved: wrapped(""), state: wrapped("")}
	p.saved.Importance = widget.SuccessImportance
	p.saved.TextStyle = fyne.TextStyle{Bold: true}
	p.saved.Hide()
	entry := func(ph string) *widget.Entry {
		e := widget.NewEntry()
		e.SetPlaceHolder(ph)
		return e
	}
	p.base = entry("https://pas.example.nhs.uk/fhir")
	p.folder = entry("Folder the core system drops extracts in, e.g. /mnt/pas-extracts")
	p.every = entry("How often, e.g. 5m (30s to 1h)")
	p.outage = entry("Outage after, e.g. 10m")
	p.token = entry("Token file, e.g. /etc/lifeboat/pas-token (optional)")
	p.ca = entry("CA file, e.g. /etc/lifeboat/trust-ca.pem (optional)")
	p.wd = entry("Ward for beds named with no ward (optional: this device's)")
	p.fhirRows = container.NewVBox(
		labelled("Server address", p.base),
		labelled("Bearer token file", p.token),
		labelled("Trust's CA certificates file", p.ca))
	p.folderRows = container.NewVBox(labelled("Folder", p.folder))
	p.from = widget.NewSelect([]string{feedFromFHIR, feedFromFolder}, func(s string) { p.showFrom(s) })
	p.from.PlaceHolder = "Where the census comes from"
	save := widget.NewButton("Save feed setting", p.save)
	save.Importance = widget.HighImportance
	p.pull = widget.NewButton("Pull now", p.pullNow)
	buttons := newFlow(save, p.pull)
	if p.path == "" {
		p.content = container.NewVBox(wrapped("This device has no data folder to keep a feed setting in. Set the feed where Lifeboat runs with a data folder (lifeboat serve --feed)."), p.state)
		return p
	}
	p.content = container.NewVBox(
		wrapped("The feed keeps the census current while the core system is up: every pull is imported on this device and reaches the ward's other devices by sync. When pulls fail for the outage time, every banner says the core system is unreachable. Secrets stay in their files: give the files' paths."),
		bold("Feed state"), p.state,
		bold("Setting"), p.file, p.msg, p.saved,
		labelled("Census from", p.from), p.fhirRows, p.folderRows,
		labelled("Pull every", p.every), labelled("Outage after", p.outage), labelled("Ward", p.wd),
		buttons)
	p.showFrom("")
	return p
}

// labelled is a field with its label above it (it fits a phone).
func labelled(label string, o fyne.CanvasObject) fyne.CanvasObject {
	return container.NewVBox(bold(label), o)
}

func (p *feedPanel) showFrom(s string) {
	p.fhirRows.Hidden = s != feedFromFHIR
	p.folderRows.Hidden = s != feedFromFolder
	p.content.Refresh()
}

// feedFile is what load reads.
type feedFile struct {
	exists  bool
	cfg     feed.Config // as written: relative paths stay relative
	problem error       // feed.ParseConfig's refusal of it, if any
	census  reconcile.CensusImported
	status  feedStatus
}

// load reads the feed.json and the feed's state from the log.
func (p *feedPanel) load() {
	path := p.path
	var f feedFile
	p.ui.Run(func(ctx context.Context) error {
		if path != "" {
			data, err := os.ReadFile(path)
			switch {
			case errors.Is(err, fs.ErrNotExist):
			case err != nil:
				return fmt.Errorf("read feed config: %w", err)
			default:
				f.exists = true
				_ = json.Unmarshal(data, &f.cfg) // what decodes fills the form
				_, f.problem = feed.ParseConfig(data, filepath.Dir(path))
			}
		}
		evs, err := p.ui.Store().Events(ctx, "census", reconcile.KindCensusImported)
		if err != nil {
			return err
		}
		for _, e := range evs {
			var c reconcile.CensusImported
			if json.Unmarshal(e.Payload, &c) == nil && !c.AsOf.Before(f.census.AsOf) {
				f.census = c
			}
		}
		f.status, err = newestFeedStatus(ctx, p.ui.Store())
		return err
	}, func(err error) {
		if err != nil {
			p.ui.log.Warn("read feed setting", "kind", errorKind(err))
			setMsg(p.msg, "The feed setting could not be read here. Check that the data folder can be read, then open this tab again.")
			return
		}
		p.show(f)
	})
}

func (p *feedPanel) show(f feedFile) {
	p.kept = f.cfg
	p.state.SetText(feedStateText(f, p.ui.now()))
	if p.path == "" {
		return
	}
	switch {
	case !f.exists:
		p.file.SetText("No feed is set up: the census comes only from files imported on the Reconciliation screen. Fill in the form to set one up (" + feed.ConfigFile + " in the data folder).")
	case f.problem != nil:
		p.file.SetText("The feed setting (" + feed.ConfigFile + " in the data folder) has a problem: " + configWords(f.problem) + ". Correct it below and save.")
	default:
		p.file.SetText("The feed setting, from " + feed.ConfigFile + " in the data folder:")
	}
	c := f.cfg
	p.base.SetText("")
	p.token.SetText("")
	p.ca.SetText("")
	p.folder.SetText("")
	switch {
	case c.FHIR != nil:
		p.from.SetSelected(feedFromFHIR)
		p.base.SetText(c.FHIR.Base)
		p.token.SetText(c.FHIR.TokenFile)
		p.ca.SetText(c.FHIR.CAFile)
		if o := c.FHIR.OAuth2; o != nil {
			p.file.SetText(p.file.Text + " It signs in with OAuth2 client credentials (client " + o.ClientID + ", secret in " + o.ClientSecretFile + "), kept as it is.")
		}
	case c.Folder != nil:
		p.from.SetSelected(feedFromFolder)
		p.folder.SetText(c.Folder.Path)
	default:
		p.from.ClearSelected()
		p.showFrom("")
	}
	p.every.SetText(typedDuration(c.Every))
	p.outage.SetText(typedDuration(c.OutageAfter))
	p.wd.SetText(c.Ward)
}

// typedDuration is a duration as typed: "5m", "1h", "90s"; "" for none.
func typedDuration(d feed.Duration) string {
	switch v := d.Duration; {
	case v == 0:
		return ""
	case v%time.Hour == 0:
		return fmt.Sprintf("%dh", v/time.Hour)
	case v%time.Minute == 0:
		return fmt.Sprintf("%dm", v/time.Minute)
	case v%time.Second == 0:
		return fmt.Sprintf("%ds", v/time.Second)
	}
	return d.String()
}

// feedStateText is the feed's state from the log in words.
func feedStateText(f feedFile, now time.Time) string {
	var lines []string
	if f.census.AsOf.IsZero() {
		lines = append(lines, "No census imported yet.")
	} else {
		lines = append(lines, fmt.Sprintf("Newest census: data as of %s, from %s (%d patients).",
			f.census.AsOf.Local().Format(DateTimeLayout), f.census.Source, f.census.Counts.Patients))
	}
	s := f.status
	switch {
	case s.ID == "":
		lines = append(lines, "The feed has recorded no outage.")
	case !s.Up:
		st := Status{Feed: FeedDown, FeedSince: s.Since, Now: now}
		t := st.FeedText() + "."
		if s.Reason != "" {
			t += " Last failure: " + s.Reason + "."
		}
		lines = append(lines, t)
	default:
		lines = append(lines, (Status{Feed: FeedUp, FeedSince: s.Since, Now: now}).FeedText()+".")
	}
	if !s.LastSuccess.IsZero() {
		lines = append(lines, "Last pull that worked before that: "+s.LastSuccess.Local().Format(DateTimeLayout)+".")
	}
	return strings.Join(lines, "\n")
}

// form is the configuration the form says, over what the file held.
func (p *feedPanel) form() feed.Config {
	c := p.kept
	trim := strings.TrimSpace
	switch p.from.Selected {
	case feedFromFHIR:
		f := feed.FHIRConfig{}
		if c.FHIR != nil {
			f = *c.FHIR
		}
		f.Base, f.TokenFile, f.CAFile = trim(p.base.Text), trim(p.token.Text), trim(p.ca.Text)
		c.FHIR, c.Folder = &f, nil
	case feedFromFolder:
		c.FHIR, c.Folder = nil, &feed.FolderConfig{Path: trim(p.folder.Text)}
	default:
		c.FHIR, c.Folder = nil, nil
	}
	c.Ward = trim(p.wd.Text)
	return c
}

// save checks the form with feed.ParseConfig (what serve --feed reads)
// and writes feed.json atomically: a temporary file in the data folder,
// then renamed over the old one, so a crash never leaves half a file.
func (p *feedPanel) save() {
	p.ui.Touch()
	setMsg(p.saved, "")
	c := p.form()
	switch {
	case c.FHIR == nil && c.Folder == nil:
		setMsg(p.msg, "Not saved: choose where the census comes from.")
		return
	case c.FHIR != nil && c.FHIR.Base == "":
		setMsg(p.msg, "Not saved: type the core system's FHIR server address (https://...).")
		return
	case c.Folder != nil && c.Folder.Path == "":
		setMsg(p.msg, "Not saved: type the folder the core system drops its extracts in.")
		return
	}
	for _, d := range []struct {
		field string
		e     *widget.Entry
		to    *feed.Duration
	}{{"Pull every", p.every, &c.Every}, {"Outage after", p.outage, &c.OutageAfter}} {
		t := strings.TrimSpace(d.e.Text)
		d.to.Duration = 0
		if t == "" {
			continue
		}
		v, err := time.ParseDuration(t)
		if err != nil {
			setMsg(p.msg, fmt.Sprintf("Not saved: %s %q is not a time like 5m or 90s.", d.field, t))
			return
		}
		d.to.Duration = v
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		setMsg(p.msg, "Not saved: "+MsgUnknown)
		return
	}
	data = append(data, '\n')
	path := p.path
	if _, err := feed.ParseConfig(data, filepath.Dir(path)); err != nil {
		setMsg(p.msg, "Not saved: "+configWords(err)+".")
		return
	}
	p.ui.Run(func(context.Context) error {
		return writeAtomic(path, data)
	}, func(err error) {
		if err != nil {
			p.ui.log.Warn("save feed setting", "kind", errorKind(err))
			setMsg(p.msg, "Not saved: the data folder could not be written. Check there is space and that Lifeboat may write there, then save again.")
			return
		}
		setMsg(p.msg, "")
		setMsg(p.saved, "Saved. The feed uses it from its next start (lifeboat serve --feed "+path+").")
		p.load()
	})
}

// configWords is a feed configuration's refusal in plain words: its
// checks' own words, without the prefix and kind that wrap them.
func configWords(err error) string {
	if !errors.Is(err, lifeboat.ErrInvalid) {
		return "the file could not be read"
	}
	s := err.Error()
	if i := strings.LastIndex(s, "feed config: "); i >= 0 {
		s = s[i+len("feed config: "):]
	}
	return strings.TrimSuffix(s, ": "+lifeboat.ErrInvalid.Error())
}

// writeAtomic writes data to path through a temporary file in the same
// folder, synced, then renamed over path.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".feed-*.json")
	if err != nil {
		return fmt.Errorf("write feed config: %w", err)
	}
	defer os.Remove(tmp.Name()) // gone after the rename; cleans up on failure
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write feed config: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write feed config: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write feed config: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write feed config: %w", err)
	}
	return nil
}

// pullNow runs one pull of the saved feed setting through
// Options.PullFeed and shows its summary or why it failed.
func (p *feedPanel) pullNow() {
	p.ui.Touch()
	setMsg(p.saved, "")
	cfg, err := feed.LoadConfig(p.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			setMsg(p.msg, "Save the feed setting first: Pull now uses the saved one.")
			return
		}
		setMsg(p.msg, "The saved feed setting has a problem: "+configWords(err)+".")
		return
	}
	p.pull.Disable()
	setMsg(p.msg, "")
	pull := p.ui.pullFeed
	if pull == nil {
		sess := p.ui.Session()
		pull = func(ctx context.Context, cfg feed.Config) (string, error) { return p.ui.pullFeedAs(ctx, sess, cfg) }
	}
	var summary string
	p.ui.Run(func(ctx context.Context) (err error) {
		summary, err = pull(ctx, cfg)
		return err
	}, func(err error) {
		p.pull.Enable()
		if err != nil {
			p.ui.log.Warn("pull feed", "kind", errorKind(err))
			setMsg(p.msg, pullErrorText(err))
			return
		}
		setMsg(p.saved, "Pulled: "+summary)
		p.load()
	})
}

// pullFeedAs pulls the feed cfg names once on this device, signed as
// sess (the IT admin at the screen), as lifeboat feed pull does: a bed
// the census names with no ward goes on the setting's ward, else this
// device's.
func (ui *UI) pullFeedAs(ctx context.Context, sess *store.Session, cfg feed.Config) (string, error) {
	rs, err := reconStore(ui)
	if err != nil {
		return "", err
	}
	ward := cfg.Ward
	if ward == "" {
		if ward, err = deviceWard(ctx, ui.Store()); err != nil {
			return "", err
		}
	}
	return feed.PullNow(ctx, cfg, reconcile.CensusOptions{Ward: ward}, rs, reconcile.StoreAppender(ui.Store(), sess))
}

// pullErrorText says in plain words why a pull failed. A Plain error is
// the runner's own words; the rest are said by kind (an error's text may
// name a server's address with a key in it, or a patient).
func pullErrorText(err error) string {
	var plain Plain
	switch {
	case errors.As(err, &plain):
		return "The pull did not work: " + string(plain)
	case errors.Is(err, lifeboat.ErrPermission):
		return "The pull did not work: the core system refused the feed's credentials. Check the token file (or the OAuth2 client) and try again."
	case errors.Is(err, lifeboat.ErrInvalid):
		return "The pull did not work: the core system sent a census Lifeboat cannot import. Nothing was imported. The log on this device says which records."
	case errors.Is(err, lifeboat.ErrConflict):
		return "The pull did not work: the core system's census is older than the one already imported. Nothing was imported."
	case errors.Is(err, lifeboat.ErrTransient), errors.Is(err, context.DeadlineExceeded):
		return "The pull did not work: the core system did not answer in time. Try again in a few minutes."
	}
	return "The pull did not work: the core system could not be reached. Check the server address and that it answers, then try again."
}
