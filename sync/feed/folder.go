package feed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"lifeboat/sync/reconcile"
)

// Settle is how long a file in the folder must have been left alone
// (its modification time this far in the past) before it is read, unless
// a previous look saw it with the same size and time: a file the core
// system is still writing is skipped.
const Settle = 5 * time.Second

// Folder is a Source reading the census from extracts the core system
// drops in a shared folder: CSV (docs/census-csv.md) or FHIR Bundle
// JSON, named *.csv or *.json. Each pull takes the newest complete file
// and returns ErrNoChange when it was already imported or refused.
//
// The folder is polled at every pull, not watched: SMB and NFS shares do
// not deliver change events (inotify, fsnotify) reliably, or at all for
// changes made by another machine, and a pull every few minutes is what
// the feed does anyway.
//
// A file is complete when a previous look saw it with the same size and
// modification time, or it was last modified more than Settle ago.
// Dotfiles and temporary names (~*, *.tmp, *.part, *.partial,
// *.filepart, *.crdownload, *.swp) are skipped, so a core system that
// writes to a temporary name and renames is never read half-written.
//
// The census time: a FHIR Bundle's own (Bundle.timestamp, else
// meta.lastUpdated; a Bundle with neither is refused). A CSV's from its
// name when the name carries one (census-20261120T0600.csv,
// census-20261120-0600.csv, seconds optional, local time, or UTC with a
// trailing Z), else the file's modification time: a name is written by
// the core system when it takes the extract, a modification time may be
// changed by a copy.
//
// What was imported is remembered by content hash, in memory: the same
// file is not imported twice, and a file the census checks refused is
// reported once (Pull returns its *reconcile.ImportError) and not read
// again until it changes. After a restart the newest file is imported
// once more; an unchanged census adds only its census.imported record.
type Folder struct {
	path string
	opts reconcile.CensusOptions
	now  func() time.Time

	mu   sync.Mutex
	seen map[string]fileSeen // by name: what the previous look saw
	done map[[32]byte]bool   // contents imported or refused
	last struct {            // the file the newest pull returned
		name string
		sum  [32]byte
	}
}

type fileSeen struct {
	size int64
	mod  time.Time
}

// NewFolder returns a Source reading extracts from cfg.Path (checked by
// ParseConfig). opts.Ward is where a bed named with no ward goes.
func NewFolder(cfg FolderConfig, opts reconcile.CensusOptions) *Folder {
	return &Folder{path: cfg.Path, opts: opts, now: time.Now, seen: map[string]fileSeen{}, done: map[[32]byte]bool{}}
}

// String names the folder.
func (f *Folder) String() string { return "folder " + f.path }

// Pull returns the census in the newest complete extract not yet imported
// or refused, or ErrNoChange. A folder that cannot be read (missing, the
// share gone, an I/O error) is ErrUnreachable: the core system's share is
// down.
func (f *Folder) Pull(ctx context.Context) (reconcile.Census, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ents, err := os.ReadDir(f.path)
	if err != nil {
		return reconcile.Census{}, unreachable("read folder %s: %v", f.path, plainFS(err))
	}
	now := f.now()
	type cand struct {
		name string
		fileSeen
	}
	var cands []cand
	seen := map[string]fileSeen{}
	for _, e := range ents {
		name := e.Name()
		if !e.Type().IsRegular() || skipName(name) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // gone since the listing
		}
		fs := fileSeen{size: info.Size(), mod: info.ModTime()}
		seen[name] = fs
		cands = append(cands, cand{name, fs})
	}
	prev := f.seen
	f.seen = seen
	slices.SortFunc(cands, func(a, b cand) int {
		if c := b.mod.Compare(a.mod); c != 0 {
			return c
		}
		return strings.Compare(b.name, a.name)
	})
	for _, c := range cands {
		if ctx.Err() != nil {
			return reconcile.Census{}, ctx.Err()
		}
		if p, ok := prev[c.name]; !(ok && p == c.fileSeen) && now.Sub(c.mod) < Settle {
			continue // still being written, perhaps: next look
		}
		data, err := os.ReadFile(filepath.Join(f.path, c.name))
		if err != nil {
			return reconcile.Census{}, unreachable("read %s in %s: %v", c.name, f.path, plainFS(err))
		}
		sum := sha256.Sum256(data)
		if f.done[sum] {
			return reconcile.Census{}, ErrNoChange
		}
		f.done[sum] = true // imported or refused: not read again until it changes
		f.last.name, f.last.sum = c.name, sum
		census, err := f.parse(c.name, c.mod, data, now)
		if err != nil {
			return reconcile.Census{}, err
		}
		// An extract lists every inpatient of the wards in it: whoever an
		// earlier census put there and this one lacks has left.
		census.Covers = wardsIn(census)
		return census, nil
	}
	return reconcile.Census{}, ErrNoChange
}

// wardsIn lists the wards a census has patients on.
func wardsIn(c reconcile.Census) []string {
	var ws []string
	for _, p := range c.Patients {
		if p.Ward != "" && !slices.Contains(ws, p.Ward) {
			ws = append(ws, p.Ward)
		}
	}
	slices.Sort(ws)
	return ws
}

// Reoffer forgets that c's file was read, so the next pull offers it
// again: the runner could not record it.
func (f *Folder) Reoffer(c reconcile.Census) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c.Source == f.last.name {
		delete(f.done, f.last.sum)
	}
}

func (f *Folder) parse(name string, mod time.Time, data []byte, now time.Time) (reconcile.Census, error) {
	if strings.EqualFold(filepath.Ext(name), ".json") {
		return reconcile.ParseCensusFHIRWith(data, name, time.Time{}, f.opts)
	}
	asOf := mod
	if t, ok := NameTime(name); ok {
		asOf = t
	}
	if asOf.After(now.Add(time.Minute)) {
		return reconcile.Census{}, &reconcile.ImportError{Source: name, Rows: []reconcile.RowError{{Unit: "line",
			Msg: fmt.Sprintf("the census time %s (from the file's name or modification time) is in the future", asOf.Format(time.RFC3339))}}}
	}
	return reconcile.ParseCensusCSVWith(bytes.NewReader(data), name, asOf, f.opts)
}

// nameTime matches a census time in a file name: 20261120T0600,
// 20261120-060000, 20261120T060000Z.
var nameTime = regexp.MustCompile(`(\d{8})[T-](\d{4}(?:\d{2})?)(Z?)`)

// NameTime reads the census time a CSV extract's name carries
// (census-20261120T0600.csv: local time; ...T0600Z: UTC).
func NameTime(name string) (time.Time, bool) {
	m := nameTime.FindStringSubmatch(name)
	if m == nil {
		return time.Time{}, false
	}
	layout := "20060102150405"[:8+len(m[2])]
	loc := time.Local
	if m[3] == "Z" {
		loc = time.UTC
	}
	t, err := time.ParseInLocation(layout, m[1]+m[2], loc)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// skipName says whether a file in the folder is not an extract to read:
// a dotfile, a temporary name or another type.
func skipName(name string) bool {
	lower := strings.ToLower(name)
	if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~") || strings.HasSuffix(name, "~") {
		return true
	}
	for _, s := range []string{".tmp", ".temp", ".part", ".partial", ".filepart", ".crdownload", ".swp"} {
		if strings.HasSuffix(lower, s) {
			return true
		}
	}
	ext := filepath.Ext(lower)
	return ext != ".csv" && ext != ".json"
}

// plainFS is an I/O error in plain words, without the path os adds.
func plainFS(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}

var _ Source = (*Folder)(nil)
