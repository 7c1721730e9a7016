package feed

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"lifeboat"
)

// ConfigFile is the feed configuration's usual name in the data folder.
const ConfigFile = "feed.json"

// The limits on how often a feed pulls and how long it fails before the
// wards are told the core system is down.
const (
	DefaultEvery       = 5 * time.Minute
	MinEvery           = 30 * time.Second
	MaxEvery           = time.Hour
	DefaultOutageAfter = 10 * time.Minute
	DefaultPageSize    = 200
	MaxPageSize        = 1000
)

// Config is a feed's configuration (feed.json). Exactly one of FHIR and
// Folder is set. Paths are absolute or relative to the file's folder.
type Config struct {
	FHIR   *FHIRConfig   `json:"fhir,omitempty"`
	Folder *FolderConfig `json:"folder,omitempty"`
	// Every is how often to pull (30s to 1h; default 5m).
	Every Duration `json:"every,omitzero"`
	// OutageAfter is how long pulls must fail before feed.status says the
	// core system is down (at least Every; default 10m).
	OutageAfter Duration `json:"outage_after,omitzero"`
	// Ward is where a bed named with no ward goes (reconcile.CensusOptions
	// Ward); empty: the device's own ward.
	Ward string `json:"ward,omitempty"`
}

// FHIRConfig is a core system's FHIR R4 REST API.
type FHIRConfig struct {
	// Base is the server's base URL, https (http only on loopback, for
	// tests and a local proxy).
	Base string `json:"base"`
	// TokenFile holds a bearer token (one line), re-read at every pull so
	// a rotated token is picked up. At most one of TokenFile and OAuth2.
	TokenFile string        `json:"token_file,omitempty"`
	OAuth2    *OAuth2Config `json:"oauth2,omitempty"`
	// CAFile is a PEM bundle of the trust's CA certificates, trusted in
	// addition to the system's.
	CAFile string `json:"ca_file,omitempty"`
	// Wards lists the ward Locations to pull ("Location/ward-7"); empty:
	// every current inpatient the server returns.
	Wards []string `json:"wards,omitempty"`
	// PageSize is the _count asked for each search page (default 200).
	PageSize int `json:"page_size,omitempty"`
}

// OAuth2Config is the OAuth2 client-credentials grant (SMART backend
// services style, with a client secret).
type OAuth2Config struct {
	TokenURL         string   `json:"token_url"`
	ClientID         string   `json:"client_id"`
	ClientSecretFile string   `json:"client_secret_file"`
	Scopes           []string `json:"scopes,omitempty"`
}

// FolderConfig is a shared folder the core system drops census extracts
// in (CSV or FHIR Bundle JSON).
type FolderConfig struct {
	Path string `json:"path"`
}

// Duration is a time.Duration written as "5m" in JSON.
type Duration struct{ time.Duration }

// MarshalJSON writes d as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a Go duration string ("90s", "5m").
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is written like \"5m\" or \"90s\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration like \"5m\" or \"90s\"", s)
	}
	d.Duration = v
	return nil
}

// LoadConfig reads and checks a feed configuration file.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read feed config: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return Config{}, fmt.Errorf("read feed config: %w", err)
	}
	c, err := ParseConfig(data, filepath.Dir(abs))
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseConfig decodes and checks a feed configuration, filling in the
// defaults and making relative paths absolute against dir. Unknown fields
// are refused: a mistyped "token_fle" must not silently mean no token, and
// a secret pasted in (a "token" field) is refused, not stored.
func ParseConfig(data []byte, dir string) (Config, error) {
	var c Config
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("feed config: %s: %w", jsonWords(err), lifeboat.ErrInvalid)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("feed config: more than one JSON object: %w", lifeboat.ErrInvalid)
	}
	if err := c.check(dir); err != nil {
		return Config{}, fmt.Errorf("feed config: %w: %w", err, lifeboat.ErrInvalid)
	}
	return c, nil
}

func jsonWords(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("not valid JSON at byte %d", se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "not valid JSON: it ends too soon"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func (c *Config) check(dir string) error {
	switch {
	case c.FHIR == nil && c.Folder == nil:
		return errors.New(`say where the census comes from: "fhir" (the core system's FHIR API) or "folder" (a share it drops extracts in)`)
	case c.FHIR != nil && c.Folder != nil:
		return errors.New(`give one of "fhir" and "folder", not both (run a second feed for the other)`)
	}
	if c.Every.Duration == 0 {
		c.Every.Duration = DefaultEvery
	}
	if c.Every.Duration < MinEvery || c.Every.Duration > MaxEvery {
		return fmt.Errorf("every %s: pull between every %s and every %s", c.Every.Duration, MinEvery, MaxEvery)
	}
	if c.OutageAfter.Duration == 0 {
		c.OutageAfter.Duration = max(DefaultOutageAfter, c.Every.Duration)
	}
	if c.OutageAfter.Duration < c.Every.Duration {
		return fmt.Errorf("outage_after %s is shorter than every %s: one missed pull would already be an outage", c.OutageAfter.Duration, c.Every.Duration)
	}
	if c.Folder != nil {
		if strings.TrimSpace(c.Folder.Path) == "" {
			return errors.New(`folder: give its "path"`)
		}
		c.Folder.Path = abs(dir, c.Folder.Path)
		return nil
	}
	return c.FHIR.check(dir)
}

func (f *FHIRConfig) check(dir string) error {
	u, err := url.Parse(f.Base)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("fhir base %q: give the server's https URL", redactURL(f.Base))
	}
	if u.User != nil {
		return errors.New("fhir base: a URL must not carry a user or password: use token_file or oauth2")
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		return fmt.Errorf("fhir base %s: patient data only over https (plain http is allowed on this machine only)", redactURL(f.Base))
	}
	f.Base = strings.TrimRight(f.Base, "/")
	if f.TokenFile != "" && f.OAuth2 != nil {
		return errors.New("fhir: give token_file or oauth2, not both")
	}
	if f.TokenFile != "" {
		f.TokenFile = abs(dir, f.TokenFile)
	}
	if o := f.OAuth2; o != nil {
		t, err := url.Parse(o.TokenURL)
		if err != nil || t.Host == "" || (t.Scheme != "https" && !(t.Scheme == "http" && loopback(t.Hostname()))) {
			return fmt.Errorf("oauth2 token_url %q: give the https URL of the token endpoint", redactURL(o.TokenURL))
		}
		if o.ClientID == "" || o.ClientSecretFile == "" {
			return errors.New("oauth2: give client_id and client_secret_file")
		}
		o.ClientSecretFile = abs(dir, o.ClientSecretFile)
	}
	if f.CAFile != "" {
		f.CAFile = abs(dir, f.CAFile)
	}
	for _, w := range f.Wards {
		if !strings.HasPrefix(w, "Location/") || len(w) == len("Location/") || strings.ContainsAny(w, "?&#,| ") {
			return fmt.Errorf("fhir wards: %q is not a Location reference like \"Location/ward-7\"", w)
		}
	}
	if f.PageSize == 0 {
		f.PageSize = DefaultPageSize
	}
	if f.PageSize < 1 || f.PageSize > MaxPageSize {
		return fmt.Errorf("fhir page_size %d: give 1 to %d", f.PageSize, MaxPageSize)
	}
	return nil
}

func abs(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}

func loopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// redactURL drops anything after the host: a query may carry a key.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(not a URL)"
	}
	return u.Scheme + "://" + u.Host + u.Path
}
