package fhirtest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestProxy_DownAndUp: through the proxy while up, "connection refused"
// while down (an open keep-alive connection cut too), and through again
// on the same URL once up.
func TestProxy_DownAndUp(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer srv.Close()
	p := NewProxy(t, srv.URL)
	client := &http.Client{Transport: &http.Transport{}}
	get := func() (string, error) {
		resp, err := client.Get(p.URL + "/x")
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	if got, err := get(); err != nil || got != "ok" {
		t.Fatalf("GET through the proxy = %q, %v", got, err)
	}
	p.Down()
	if _, err := get(); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("GET while down = %v, want connection refused", err)
	}
	p.Up(t)
	if got, err := get(); err != nil || got != "ok" {
		t.Fatalf("GET once up again = %q, %v", got, err)
	}
}
