package feed

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lifeboat"
)

// TestParseConfig_Refusals: every refusal names what is wrong, and wraps
// lifeboat.ErrInvalid.
func TestParseConfig_Refusals(t *testing.T) {
	tests := []struct{ name, json, want string }{
		{"not JSON", `{"fhir":]`, "not valid JSON at byte"},
		{"cut short", `{"fhir":`, "not valid JSON: it ends too soon"},
		{"empty", ``, "not valid JSON: it ends too soon"},
		{"wrong type", `{"folder":{"path":"x"},"ward":7}`, "cannot unmarshal number"},
		{"two objects", `{"folder":{"path":"x"}} {}`, "more than one JSON object"},
		{"unknown field", `{"folder":{"path":"x"},"evry":"5m"}`, `unknown field "evry"`},
		{"a secret pasted in", `{"fhir":{"base":"https://pas.example","token":"abc"}}`, `unknown field "token"`},
		{"neither source", `{}`, `say where the census comes from`},
		{"both sources", `{"fhir":{"base":"https://pas.example"},"folder":{"path":"x"}}`, `not both`},
		{"every not a duration", `{"folder":{"path":"x"},"every":"often"}`, `"often" is not a duration`},
		{"every a number", `{"folder":{"path":"x"},"every":300}`, `a duration is written like`},
		{"every too short", `{"folder":{"path":"x"},"every":"10s"}`, "every 10s: pull between every 30s and every 1h0m0s"},
		{"every too long", `{"folder":{"path":"x"},"every":"2h"}`, "every 2h0m0s: pull between"},
		{"every negative", `{"folder":{"path":"x"},"every":"-5m"}`, "every -5m0s"},
		{"outage shorter than every", `{"folder":{"path":"x"},"every":"10m","outage_after":"5m"}`, "outage_after 5m0s is shorter than every 10m0s"},
		{"folder without path", `{"folder":{}}`, `folder: give its "path"`},
		{"folder blank path", `{"folder":{"path":"  "}}`, `folder: give its "path"`},
		{"base missing", `{"fhir":{}}`, `fhir base "(not a URL)": give the server's https URL`},
		{"base not a URL", `{"fhir":{"base":"pas"}}`, `give the server's https URL`},
		{"base ftp", `{"fhir":{"base":"ftp://pas.example"}}`, `give the server's https URL`},
		{"base with a password", `{"fhir":{"base":"https://u:p@pas.example"}}`, "must not carry a user or password"},
		{"plain http off this machine", `{"fhir":{"base":"http://pas.example/fhir"}}`, "patient data only over https"},
		{"token file and oauth2", `{"fhir":{"base":"https://pas.example","token_file":"t","oauth2":{"token_url":"https://pas.example/token","client_id":"c","client_secret_file":"s"}}}`, "token_file or oauth2, not both"},
		{"oauth2 http token url", `{"fhir":{"base":"https://pas.example","oauth2":{"token_url":"http://pas.example/token","client_id":"c","client_secret_file":"s"}}}`, "oauth2 token_url"},
		{"oauth2 no client id", `{"fhir":{"base":"https://pas.example","oauth2":{"token_url":"https://pas.example/token","client_secret_file":"s"}}}`, "give client_id and client_secret_file"},
		{"oauth2 no secret file", `{"fhir":{"base":"https://pas.example","oauth2":{"token_url":"https://pas.example/token","client_id":"c"}}}`, "give client_id and client_secret_file"},
		{"ward not a Location", `{"fhir":{"base":"https://pas.example","wards":["ward-7"]}}`, `"ward-7" is not a Location reference`},
		{"ward empty id", `{"fhir":{"base":"https://pas.example","wards":["Location/"]}}`, `is not a Location reference`},
		{"ward with a query", `{"fhir":{"base":"https://pas.example","wards":["Location/w7&_count=1"]}}`, `is not a Location reference`},
		{"page size too big", `{"fhir":{"base":"https://pas.example","page_size":5000}}`, "page_size 5000: give 1 to 1000"},
		{"page size negative", `{"fhir":{"base":"https://pas.example","page_size":-1}}`, "page_size -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.json), "/etc/lifeboat")
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, lifeboat.ErrInvalid) {
				t.Errorf("ParseConfig(%s) = %v, want ErrInvalid saying %q", tt.json, err, tt.want)
			}
		})
	}
}

// TestParseConfig_NoSecretInTheError: a URL's query and credentials are
// not repeated in an error.
func TestParseConfig_NoSecretInTheError(t *testing.T) {
	for _, js := range []string{
		`{"fhir":{"base":"http://pas.example/fhir?api_key=s3cret"}}`,
		`{"fhir":{"base":"https://pas.example","oauth2":{"token_url":"ftp://x/?key=s3cret","client_id":"c","client_secret_file":"s"}}}`,
	} {
		if _, err := ParseConfig([]byte(js), "/"); err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("ParseConfig(%s) = %v, want refused without the secret", js, err)
		}
	}
}

// TestParseConfig_DefaultsAndRelativePaths: defaults filled in, paths
// made absolute against the file's folder, absolute ones kept.
func TestParseConfig_DefaultsAndRelativePaths(t *testing.T) {
	c, err := ParseConfig([]byte(`{"fhir":{"base":"https://pas.example/fhir/","token_file":"secrets/token","ca_file":"/etc/ssl/trust.pem"}}`), "/etc/lifeboat")
	if err != nil {
		t.Fatal(err)
	}
	if c.Every.Duration != DefaultEvery || c.OutageAfter.Duration != DefaultOutageAfter || c.FHIR.PageSize != DefaultPageSize {
		t.Errorf("defaults = every %s, outage after %s, page size %d", c.Every, c.OutageAfter, c.FHIR.PageSize)
	}
	if c.FHIR.Base != "https://pas.example/fhir" || c.FHIR.TokenFile != "/etc/lifeboat/secrets/token" || c.FHIR.CAFile != "/etc/ssl/trust.pem" {
		t.Errorf("FHIR = %+v", *c.FHIR)
	}
	c, err = ParseConfig([]byte(`{"fhir":{"base":"https://pas.example","oauth2":{"token_url":"https://pas.example/token","client_id":"c","client_secret_file":"secret"}}}`), "/etc/lifeboat")
	if err != nil || c.FHIR.OAuth2.ClientSecretFile != "/etc/lifeboat/secret" {
		t.Errorf("oauth2 secret file = %v, %v", c.FHIR.OAuth2, err)
	}
	// outage_after defaults to at least every.
	c, err = ParseConfig([]byte(`{"folder":{"path":"../share"},"every":"30m"}`), "/etc/lifeboat")
	if err != nil || c.OutageAfter.Duration != 30*time.Minute || c.Folder.Path != "/etc/share" {
		t.Errorf("folder config = %+v, %v; want outage after 30m, path /etc/share", c, err)
	}
	// Plain http on this machine (tests, a local proxy).
	for _, base := range []string{"http://127.0.0.1:8103/fhir", "http://localhost/fhir", "http://[::1]:80"} {
		if _, err := ParseConfig([]byte(`{"fhir":{"base":"`+base+`"}}`), "/"); err != nil {
			t.Errorf("ParseConfig(base %s) = %v, want loopback http allowed", base, err)
		}
	}
}

// TestLoadConfig_RelativeToTheFile: LoadConfig resolves paths against the
// file's own folder and names the file in its errors.
func TestLoadConfig_RelativeToTheFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, ConfigFile)
	if err := os.WriteFile(p, []byte(`{"folder":{"path":"drop"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(p)
	if err != nil || c.Folder.Path != filepath.Join(dir, "drop") {
		t.Errorf("LoadConfig = %+v, %v; want the path under %s", c, err, dir)
	}
	if err := os.WriteFile(p, []byte(`{"folder":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("LoadConfig of a bad file = %v, want the file named", err)
	}
	if _, err := LoadConfig(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "read feed config") {
		t.Errorf("LoadConfig of a missing file = %v", err)
	}
}

// FuzzParseConfig: never panics; a config it accepts is accepted again
// as it is written back (defaults and absolute paths are fixed points).
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		`{"folder":{"path":"share"}}`,
		`{"fhir":{"base":"https://pas.example/fhir","token_file":"token","wards":["Location/w7"],"page_size":50},"every":"2m","outage_after":"10m","ward":"w7"}`,
		`{"fhir":{"base":"https://pas.example","oauth2":{"token_url":"https://pas.example/token","client_id":"c","client_secret_file":"s","scopes":["system/*.read"]},"ca_file":"ca.pem"}}`,
		`{"fhir":{"base":"http://127.0.0.1:8080"}}`,
		`{}`, `[]`, `null`, `{"every":"1ns"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data, "/etc/lifeboat")
		if err != nil {
			if !errors.Is(err, lifeboat.ErrInvalid) {
				t.Fatalf("ParseConfig error %v is not ErrInvalid", err)
			}
			return
		}
		if (c.FHIR == nil) == (c.Folder == nil) || c.Every.Duration < MinEvery || c.OutageAfter.Duration < c.Every.Duration {
			t.Fatalf("accepted %+v", c)
		}
		out, err := jsonMarshal(c)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := ParseConfig(out, "/elsewhere")
		if err != nil {
			t.Fatalf("written back %s: %v", out, err)
		}
		out2, _ := jsonMarshal(c2)
		if string(out) != string(out2) {
			t.Fatalf("not a fixed point:\n%s\n%s", out, out2)
		}
	})
}

func jsonMarshal(c Config) ([]byte, error) { return json.Marshal(c) }
