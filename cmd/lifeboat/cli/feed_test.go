package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/store"
	"lifeboat/sync/feed"
)

// feedCensus is a census CSV of three patients on w7.
const feedCensus = "nhs_number,surname,given,birth_date,ward,bed\n" +
	"9990000018,Feedwell,Ann,1948-02-11,w7,b1\n" +
	"9990000026,Feedwell,Bob,1950-01-01,w7,b2\n" +
	"9990000034,Feedwell,Cat,1960-05-05,w7,b3\n"

// mustShare makes a share folder holding census.csv (modified a minute
// ago, so complete) and feed.json naming it in the data folder dir.
func mustShare(t *testing.T, dir, census string) (share, conf string) {
	t.Helper()
	share = filepath.Join(t.TempDir(), "share")
	if err := os.Mkdir(share, 0o700); err != nil {
		t.Fatal(err)
	}
	if census != "" {
		writeExtract(t, share, "census.csv", census)
	}
	conf = filepath.Join(dir, "feed.json")
	if err := os.WriteFile(conf, fmt.Appendf(nil, `{"folder":{"path":%q},"every":"1m"}`, share), 0o600); err != nil {
		t.Fatal(err)
	}
	return share, conf
}

func writeExtract(t *testing.T, share, name, content string) {
	t.Helper()
	p := filepath.Join(share, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
}

// mustNurse adds Nia Nurse (ward staff, PIN 4826) to the store in dir.
func mustNurse(t *testing.T, dir string) {
	t.Helper()
	db, admin := openAsAdmin(t, dir)
	defer db.Close()
	if _, err := db.NewUser(t.Context(), admin, "Nia Nurse", lifeboat.RoleWardStaff, "4826"); err != nil {
		t.Fatal(err)
	}
}

// TestFeedPull_Command: lifeboat feed pull reads feed.json from the data
// folder, imports the share's newest extract as the IT admin, says
// "nothing new" for the same file, lists a refused file's problems by
// line, names a missing share, and refuses a bad config by its field and
// a person who is not an IT admin.
func TestFeedPull_Command(t *testing.T) {
	dir := mustInit(t)
	share, conf := mustShare(t, dir, feedCensus)
	out, err := run(t, dir, adminIn, "feed", "pull", "--user", "Ada Admin")
	if err != nil || !strings.Contains(out, "Pulled folder "+share+" (census.csv): census as of") || !strings.Contains(out, "3 patients (3 new") {
		t.Fatalf("feed pull = %q, %v; want 3 new patients", out, err)
	}
	if got := registeredSurnames(t, dir); len(got) != 3 {
		t.Errorf("registered = %q, want 3", got)
	}
	// A new process, so the same file is imported again: only its record.
	if out, err := run(t, dir, adminIn, "feed", "pull", "--user", "Ada Admin", "--config", conf); err != nil || !strings.Contains(out, "(0 new, 0 updated)") || !strings.Contains(out, "1 events recorded") {
		t.Errorf("feed pull of the same file = %q, %v; want only the census record", out, err)
	}

	writeExtract(t, share, "census-2.csv", "nhs_number,surname,given,birth_date,ward,bed\n9990000018,Feedwell,Ann,2099-01-01,w7,b1\n")
	out, err = run(t, dir, adminIn, "feed", "pull", "--user", "Ada Admin")
	if err == nil || !strings.Contains(err.Error(), "line 2: birth_date 2099-01-01 is after the census date") || !strings.Contains(err.Error(), "nothing imported") {
		t.Errorf("feed pull of a bad file = %q, %v; want its problems by line", out, err)
	}

	if err := os.RemoveAll(share); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, dir, adminIn, "feed", "pull", "--user", "Ada Admin"); err == nil || !strings.Contains(err.Error(), "read folder "+share+": no such file or directory") {
		t.Errorf("feed pull of a missing share = %v, want it named", err)
	}

	if err := os.WriteFile(conf, []byte(`{"folder":{"path":"x"},"every":"10s"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, dir, adminIn, "feed", "pull", "--user", "Ada Admin"); err == nil || !strings.Contains(err.Error(), "--config: "+conf+": feed config: every 10s: pull between every 30s and every 1h0m0s") {
		t.Errorf("feed pull with every 10s = %v, want the field named", err)
	}
	if err := os.Remove(conf); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, dir, adminIn, "feed", "pull", "--user", "Ada Admin"); err == nil || !strings.Contains(err.Error(), "read feed config") {
		t.Errorf("feed pull with no feed.json = %v", err)
	}

	mustNurse(t, dir)
	_, conf = mustShare(t, dir, feedCensus)
	if _, err := run(t, dir, "a long ward passphrase\n4826\n", "feed", "pull", "--user", "Nia Nurse", "--config", conf); err == nil || !strings.Contains(err.Error(), "Nia Nurse is not an IT admin") {
		t.Errorf("feed pull as a nurse = %v, want refused", err)
	}
}

// TestServeFeed_Refusals: serve --feed refuses, before it starts, a
// missing --user or --pin-file, a bad feed.json (naming the field) and a
// person who is not an IT admin.
func TestServeFeed_Refusals(t *testing.T) {
	dir := mustInit(t)
	mustNurse(t, dir)
	_, conf := mustShare(t, dir, feedCensus)
	secrets := t.TempDir()
	pass, adminPIN, nursePIN := filepath.Join(secrets, "pass"), filepath.Join(secrets, "admin.pin"), filepath.Join(secrets, "nurse.pin")
	for f, v := range map[string]string{pass: "a long ward passphrase\n", adminPIN: "2580\n", nursePIN: "4826\n"} {
		if err := os.WriteFile(f, []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	badConf := filepath.Join(t.TempDir(), "feed.json")
	if err := os.WriteFile(badConf, []byte(`{"fhir":{"base":"http://pas.example/fhir"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	serve := []string{"serve", "--passphrase-file", pass, "--bind", "127.0.0.1:0"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no user", []string{"--feed", conf, "--pin-file", adminPIN}, "give an IT admin with --user NAME and their PIN with --pin-file FILE"},
		{"no pin file", []string{"--feed", conf, "--user", "Ada Admin"}, "give an IT admin with --user NAME and their PIN with --pin-file FILE"},
		{"bad config", []string{"--feed", badConf, "--user", "Ada Admin", "--pin-file", adminPIN}, "--feed: " + badConf + ": feed config: fhir base http://pas.example/fhir: patient data only over https"},
		{"missing config", []string{"--feed", filepath.Join(dir, "nope.json"), "--user", "Ada Admin", "--pin-file", adminPIN}, "read feed config"},
		{"not an IT admin", []string{"--feed", conf, "--user", "Nia Nurse", "--pin-file", nursePIN}, "Nia Nurse is not an IT admin"},
		{"wrong PIN", []string{"--feed", conf, "--user", "Ada Admin", "--pin-file", nursePIN}, "wrong"},
		{"nobody", []string{"--feed", conf, "--user", "Zed", "--pin-file", adminPIN}, `nobody called "Zed"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := run(t, dir, "", append(serve, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("serve %v = %v (out %q), want refused saying %q", tt.args, err, out, tt.want)
			}
			if strings.Contains(out, "Serving device") {
				t.Errorf("serve started before refusing: %q", out)
			}
		})
	}
}

// serving is lifeboat serve running in-process.
type serving struct {
	out    *syncBuffer
	done   chan error
	cancel context.CancelFunc
}

// startServe runs lifeboat serve --feed conf on the data folder dir as
// Ada Admin (passphrase and PIN from files), with env's feed options.
func startServe(t *testing.T, dir, conf string, feedOpts feed.Options) *serving {
	t.Helper()
	secrets := t.TempDir()
	pass, pin := filepath.Join(secrets, "pass"), filepath.Join(secrets, "pin")
	for f, v := range map[string]string{pass: "a long ward passphrase\n", pin: "2580\n"} {
		if err := os.WriteFile(f, []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	root := &cobra.Command{Use: "lifeboat", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(Commands(&Env{DataDir: func(*cobra.Command) (string, error) { return dir, nil }, Stdin: strings.NewReader(""), KDF: store.TestKDF, Feed: feedOpts})...)
	sv := &serving{out: &syncBuffer{}, done: make(chan error, 1), cancel: cancel}
	root.SetOut(sv.out)
	root.SetErr(sv.out)
	root.SetArgs([]string{"serve", "--passphrase-file", pass, "--bind", "127.0.0.1:0", "--status-every", "50ms",
		"--feed", conf, "--user", "Ada Admin", "--pin-file", pin})
	go func() { sv.done <- root.ExecuteContext(ctx) }()
	t.Cleanup(func() { cancel(); <-sv.done })
	return sv
}

// waitStatus polls the status file in dir until cond holds of it.
func (sv *serving) waitStatus(t *testing.T, dir, what string, cond func(d statusDoc, raw []byte) bool) statusDoc {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var d statusDoc
		b, err := os.ReadFile(filepath.Join(dir, StatusFile))
		if err == nil && json.Unmarshal(b, &d) == nil && d.Feed != nil && cond(d, b) {
			return d
		}
		select {
		case err := <-sv.done:
			t.Fatalf("serve ended early: %v\n%s", err, sv.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("status: no %s within 20s:\n%s", what, sv.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop cancels serve, as SIGTERM does, and checks it stopped cleanly.
func (sv *serving) stop(t *testing.T) {
	t.Helper()
	sv.cancel()
	select {
	case err := <-sv.done:
		if err != nil || !strings.Contains(sv.out.String(), "Stopped.") {
			t.Errorf("serve after cancel = %v, output %q; want a clean stop", err, sv.out.String())
		}
		sv.done <- err // for the cleanup
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop within 20s of cancellation")
	}
}

// TestServeFeed_PullsAndStatusShowsIt: serve --feed imports the share's
// census as the IT admin at once, its state goes into the status file
// (no patient data) and lifeboat status prints it; cancelling (SIGTERM)
// stops node and feed cleanly.
func TestServeFeed_PullsAndStatusShowsIt(t *testing.T) {
	dir := mustInit(t)
	share, conf := mustShare(t, dir, feedCensus)
	sv := startServe(t, dir, conf, feed.Options{})
	doc := sv.waitStatus(t, dir, "feed with 3 patients", func(d statusDoc, raw []byte) bool {
		if bytes.Contains(raw, []byte("Feedwell")) || bytes.Contains(raw, []byte("9990000018")) {
			t.Errorf("the status file holds patient data:\n%s", raw)
		}
		return d.Feed.Patients == 3
	})
	if !strings.Contains(sv.out.String(), "Feeding the census from folder "+share+" every 1m0s") {
		t.Errorf("serve output lacks the feed line:\n%s", sv.out.String())
	}
	got, err := run(t, dir, "", "status")
	want := fmt.Sprintf("Core system feed (folder %s): last pull %s (3 patients, as of ", share, doc.Feed.LastSuccess.Local().Format("15:04"))
	if err != nil || !strings.Contains(got, want) || !strings.Contains(got, "Next pull ") {
		t.Errorf("status = %q, %v; want %q and the next pull", got, err, want)
	}
	sv.stop(t)
	var authors []string
	for _, e := range storeEvents(t, dir) {
		if e.Kind == forms.KindCensusImported {
			authors = append(authors, e.Author)
		}
	}
	if len(authors) != 1 {
		t.Errorf("census.imported records = %d, want 1", len(authors))
	}
}

// TestServeFeed_OutageRecordedAndShown: through serve --feed, with the
// feed's clock and ticks driven by the test: the share missing, the first
// pull fails (failing since, no outage yet); a pull outage_after later
// records the outage, which lifeboat status shows; the share back, the
// next pull imports and records that the core system answers again.
func TestServeFeed_OutageRecordedAndShown(t *testing.T) {
	dir := mustInit(t)
	share, conf := mustShare(t, dir, "")
	if err := os.WriteFile(conf, fmt.Appendf(nil, `{"folder":{"path":%q},"every":"30s","outage_after":"30s"}`, share), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(share); err != nil {
		t.Fatal(err)
	}
	var (
		mu  sync.Mutex
		off time.Duration
	)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return time.Now().Add(off) }
	advance := func(d time.Duration) { mu.Lock(); off += d; mu.Unlock() }
	ticks := make(chan time.Time)
	sv := startServe(t, dir, conf, feed.Options{Now: now, Ticks: func(time.Duration) (<-chan time.Time, func()) { return ticks, func() {} }})

	d := sv.waitStatus(t, dir, "failing feed", func(d statusDoc, _ []byte) bool { return !d.Feed.FailingSince.IsZero() })
	if d.Feed.Down || d.Feed.Problem != string(feed.ProblemUnreachable) || !strings.Contains(d.Feed.LastError, "read folder "+share) {
		t.Fatalf("feed after the first failed pull = %+v", d.Feed)
	}
	advance(30 * time.Second)
	ticks <- time.Time{}
	d = sv.waitStatus(t, dir, "outage", func(d statusDoc, _ []byte) bool { return d.Feed.Down })
	got, err := run(t, dir, "", "status")
	if want := "The wards are told the core system is unreachable since " + d.Feed.DownSince.Local().Format("15:04"); err != nil || !strings.Contains(got, want) || !strings.Contains(got, "failing since") {
		t.Errorf("status = %q, %v; want %q", got, err, want)
	}

	if err := os.Mkdir(share, 0o700); err != nil {
		t.Fatal(err)
	}
	writeExtract(t, share, "census.csv", feedCensus)
	advance(30 * time.Second)
	ticks <- time.Time{}
	sv.waitStatus(t, dir, "recovery", func(d statusDoc, _ []byte) bool { return !d.Feed.Down && d.Feed.Patients == 3 })
	sv.stop(t)
	var got2 []forms.FeedStatus
	for _, e := range storeEvents(t, dir) {
		if e.Kind == forms.KindFeedStatus {
			var fs forms.FeedStatus
			if err := json.Unmarshal(e.Payload, &fs); err != nil {
				t.Fatal(err)
			}
			got2 = append(got2, fs)
		}
	}
	if len(got2) != 2 || got2[0].Up || !got2[1].Up {
		t.Errorf("feed.status records = %+v, want down then up", got2)
	}
}

// TestPrintFeed_Lines: what lifeboat status says of the feed, working,
// failing, down and with a refused census.
func TestPrintFeed_Lines(t *testing.T) {
	now := time.Date(2026, 11, 22, 15, 0, 0, 0, time.Local)
	at := func(h, m int) time.Time { return time.Date(2026, 11, 22, h, m, 0, 0, time.Local) }
	tests := []struct {
		name string
		doc  *feedDoc
		want []string
	}{
		{"working", &feedDoc{Source: "https://pas.example/fhir", LastSuccess: at(14, 5), AsOf: at(14, 5), Patients: 312, NextPull: at(14, 10)},
			[]string{"Core system feed (https://pas.example/fhir): last pull 14:05 (312 patients, as of 14:05)\n", "  Next pull 14:10\n"}},
		{"failing", &feedDoc{Source: "https://pas.example/fhir", LastSuccess: at(14, 5), AsOf: at(14, 5), Patients: 312, FailingSince: at(14, 20), LastError: "connection refused"},
			[]string{"last pull 14:05 (312 patients, as of 14:05); failing since 14:20: connection refused\n"}},
		{"down", &feedDoc{Source: "s", FailingSince: at(14, 20), LastError: "connection refused", Down: true, DownSince: at(14, 20)},
			[]string{"no pull has worked yet; failing since 14:20: connection refused\n", "  The wards are told the core system is unreachable since 14:20.\n"}},
		{"refused", &feedDoc{Source: "s", LastSuccess: at(14, 5), AsOf: time.Date(2026, 11, 21, 6, 0, 0, 0, time.Local), Refused: "the census c.csv has 2 problems"},
			[]string{"(0 patients, as of 21-Nov 06:00)", "  Census refused: the census c.csv has 2 problems\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			printFeed(&b, tt.doc, now)
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("printFeed = %q, want %q", b.String(), w)
				}
			}
		})
	}
	var b bytes.Buffer
	printFeed(&b, nil, now)
	if b.Len() != 0 {
		t.Errorf("printFeed(nil) = %q, want nothing", b.String())
	}
}

// TestFeedPull_CoreSystemDown: lifeboat feed pull of a FHIR server that
// does not answer fails saying so, imports nothing and records no outage
// (one failed pull is not outage_after).
func TestFeedPull_CoreSystemDown(t *testing.T) {
	dir := mustInit(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	conf := filepath.Join(dir, "feed.json")
	if err := os.WriteFile(conf, fmt.Appendf(nil, `{"fhir":{"base":"http://%s/fhir"}}`, addr), 0o600); err != nil {
		t.Fatal(err)
	}
	before := eventCount(t, dir)
	_, err = run(t, dir, adminIn, "feed", "pull", "--user", "Ada Admin")
	if err == nil || !strings.Contains(err.Error(), "connect http://"+addr) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("feed pull of a server that is down = %v, want it to say it could not connect", err)
	}
	if n := eventCount(t, dir); n != before {
		t.Errorf("%d events recorded, want none", n-before)
	}
}
