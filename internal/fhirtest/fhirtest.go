// Package fhirtest starts a real FHIR R4 server for tests and benchmarks:
// Medplum's FHIR router over its in-memory repository (see
// sync/reconcile/testdata/fhirserver/server.mjs), run with Node on
// 127.0.0.1. Tests that use it skip when node or npm is missing or the
// server's npm packages cannot be installed.
package fhirtest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Server is a running FHIR server. Its repository is empty at start.
type Server struct {
	URL   string // base URL, e.g. http://127.0.0.1:40123
	Token string // the bearer token it was started with (--token), if any
}

// Dir is the folder holding server.mjs and its package-lock.json.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "sync", "reconcile", "testdata", "fhirserver")
}

// Start runs the server with args (e.g. "--reject-kind", "Observation") on
// a free port, waits for it to say so and stops it when tb ends. It skips
// tb if Node or npm is missing or `npm ci` fails.
func Start(tb testing.TB, args ...string) *Server {
	tb.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		tb.Skip("fhirtest: node is not installed (sh scripts/deps.sh installs it): skipping the real FHIR server test")
	}
	dir := Dir()
	if err := install(dir); err != nil {
		tb.Skipf("fhirtest: %v: skipping the real FHIR server test", err)
	}
	cmd := exec.Command(node, append([]string{"server.mjs", "--port", "0"}, args...)...)
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start FHIR server: %v", err)
	}
	tb.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if port, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				ready <- port
				break
			}
		}
		close(ready)
		io.Copy(io.Discard, out)
	}()
	select {
	case port, ok := <-ready:
		if !ok {
			cmd.Wait()
			tb.Fatalf("FHIR server stopped before it was ready: %s", stderr.String())
		}
		srv := &Server{URL: "http://127.0.0.1:" + port}
		for i, a := range args {
			if a == "--token" && i+1 < len(args) {
				srv.Token = args[i+1]
			}
		}
		return srv
	case <-time.After(60 * time.Second):
		tb.Fatalf("FHIR server not ready after 60 s: %s", stderr.String())
	}
	return nil
}

// install runs npm ci for the server once: into a temporary folder then
// renamed into place, so packages tested in parallel never see a half
// install.
func install(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@medplum", "fhir-router", "package.json")); err == nil {
		return nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return fmt.Errorf("npm is not installed (sh scripts/deps.sh installs it)")
	}
	tmp, err := os.MkdirTemp(dir, ".install-")
	if err != nil {
		return fmt.Errorf("install FHIR server: %w", err)
	}
	defer os.RemoveAll(tmp)
	for _, f := range []string{"package.json", "package-lock.json"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return fmt.Errorf("install FHIR server: %w", err)
		}
		if err := os.WriteFile(filepath.Join(tmp, f), b, 0o644); err != nil {
			return fmt.Errorf("install FHIR server: %w", err)
		}
	}
	cmd := exec.Command(npm, "ci", "--prefix", tmp, "--no-audit", "--no-fund", "--loglevel=error")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm ci for the FHIR server failed: %v: %s", err, out)
	}
	if err := os.Rename(filepath.Join(tmp, "node_modules"), filepath.Join(dir, "node_modules")); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, "node_modules", "@medplum", "fhir-router", "package.json")); serr == nil {
			return nil // another test process installed it first
		}
		return fmt.Errorf("install FHIR server: %w", err)
	}
	return nil
}

// Resource is the part of a stored resource the tests look at.
type Resource struct {
	ResourceType string          `json:"resourceType"`
	ID           string          `json:"id"`
	Identifier   json.RawMessage `json:"identifier"` // a list, or one (QuestionnaireResponse)
	Status       string          `json:"status"`
	Raw          json.RawMessage `json:"-"`      // the whole resource, for a test to read more of
	Active       *bool           `json:"active"` // Patient
	Link         []struct {
		Other struct {
			Reference string `json:"reference"`
		} `json:"other"`
		Type string `json:"type"`
	} `json:"link"` // Patient: replaced-by after a merge
	Subject *struct {
		Reference string `json:"reference"`
	} `json:"subject"`
}

// Identifier is a system and value.
type Identifier struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

// Identifiers returns r's identifiers, whether it holds a list or one.
func (r Resource) Identifiers() []Identifier {
	var list []Identifier
	if json.Unmarshal(r.Identifier, &list) == nil {
		return list
	}
	var one Identifier
	if json.Unmarshal(r.Identifier, &one) == nil && one.Value != "" {
		return []Identifier{one}
	}
	return nil
}

// Search returns every resource of type typ the server holds matching
// query (e.g. "identifier=s|v"; "" for all, up to 1,000).
func (s *Server) Search(tb testing.TB, typ, query string) []Resource {
	tb.Helper()
	q := url.Values{"_count": {"1000"}}
	if query != "" {
		extra, err := url.ParseQuery(query)
		if err != nil {
			tb.Fatal(err)
		}
		for k, v := range extra {
			q[k] = v
		}
	}
	var b struct {
		Entry []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	s.get(tb, typ+"?"+q.Encode(), &b)
	out := make([]Resource, len(b.Entry))
	for i, e := range b.Entry {
		if err := json.Unmarshal(e.Resource, &out[i]); err != nil {
			tb.Fatalf("GET %s: %v", typ, err)
		}
		out[i].Raw = e.Resource
	}
	return out
}

// Count returns how many resources of type typ the server holds.
func (s *Server) Count(tb testing.TB, typ string) int {
	tb.Helper()
	var b struct {
		Total *int `json:"total"`
	}
	s.get(tb, typ+"?_summary=count", &b)
	if b.Total == nil {
		tb.Fatalf("GET %s?_summary=count: no total", typ)
	}
	return *b.Total
}

func (s *Server) get(tb testing.TB, path string, v any) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+"/"+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if s.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.Token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s = %s %s %v", path, resp.Status, data, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		tb.Fatalf("GET %s: %v", path, err)
	}
}
