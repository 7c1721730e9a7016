package forms

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"sync"

	"lifeboat"
)

// Registry holds every version of every form definition, so a record made
// on an old version still renders and validates as it was entered. It is
// safe for concurrent use.
type Registry struct {
	mu    sync.RWMutex
	forms map[string][]*Definition // by ID, ascending version
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{forms: map[string][]*Definition{}}
}

// LoadDefinitions parses every *.json file in dir of fsys into a new
// registry. It reads them all and reports every bad file at once, each
// problem naming its file; the error wraps lifeboat.ErrInvalid (or
// lifeboat.ErrConflict when two files give one ID and version different
// contents), and no registry is returned.
func LoadDefinitions(fsys fs.FS, dir string) (*Registry, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("load form definitions from %s: %w", dir, err)
	}
	r := NewRegistry()
	var errs []error
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, fmt.Errorf("read %s: %w", name, err))
			continue
		}
		d, err := ParseDefinition(data)
		if err != nil {
			var de *DefinitionError
			if errors.As(err, &de) {
				de.Source = name
			}
			errs = append(errs, err)
			continue
		}
		if err := r.Add(d); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("load form definitions from %s: %w", dir, errors.Join(errs...))
	}
	return r, nil
}

// Add registers a parsed definition. Adding the same ID and version again
// with the same contents does nothing; with different contents it is
// refused with an error wrapping lifeboat.ErrConflict, because records
// already made on that version must keep their meaning.
func (r *Registry) Add(d *Definition) error {
	if d == nil || d.index == nil {
		return fmt.Errorf("add form definition: not parsed by ParseDefinition: %w", lifeboat.ErrInvalid)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	versions := r.forms[d.ID]
	i := sort.Search(len(versions), func(i int) bool { return versions[i].Version >= d.Version })
	if i < len(versions) && versions[i].Version == d.Version {
		if sameDefinition(versions[i], d) {
			return nil
		}
		return fmt.Errorf("add form %s version %d: a different definition already has this version; give the change a new version: %w",
			d.ID, d.Version, lifeboat.ErrConflict)
	}
	r.forms[d.ID] = slices.Insert(versions, i, d)
	return nil
}

func sameDefinition(a, b *Definition) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}

// Lookup returns one version of a form. The error wraps
// lifeboat.ErrNotFound.
func (r *Registry) Lookup(id string, version int) (*Definition, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, d := range r.forms[id] {
		if d.Version == version {
			return d, nil
		}
	}
	return nil, fmt.Errorf("look up form %s version %d: %w", id, version, lifeboat.ErrNotFound)
}

// Latest returns the highest version of a form: the one new records use.
// The error wraps lifeboat.ErrNotFound.
func (r *Registry) Latest(id string) (*Definition, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	versions := r.forms[id]
	if len(versions) == 0 {
		return nil, fmt.Errorf("look up form %s: %w", id, lifeboat.ErrNotFound)
	}
	return versions[len(versions)-1], nil
}

// IDs lists the form IDs held, sorted.
func (r *Registry) IDs() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	ids := make([]string, 0, len(r.forms))
	for id := range r.forms {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Versions lists the versions held of one form, ascending.
func (r *Registry) Versions(id string) []int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	vs := make([]int, len(r.forms[id]))
	for i, d := range r.forms[id] {
		vs[i] = d.Version
	}
	return vs
}
