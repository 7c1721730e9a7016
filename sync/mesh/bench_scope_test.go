package mesh_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/internal/procmem"
	"lifeboat/store"
	"lifeboat/store/storetest"
	"lifeboat/sync/mesh"
)

// The scoped join: a relay holds a hospital's log (LIFEBOAT_BENCH_WARDS
// wards of LIFEBOAT_BENCH_PER_WARD events each; by default 40 of 25,000,
// a million events, about three weeks of downtime) and a new ward device
// joins, given one ward. The device runs in a child process, so its
// resident memory is its own and not the relay's.

// joinJob is what the child needs to join the site, and what it reports.
type joinJob struct {
	Dir      string            `json:"dir"`
	Relay    string            `json:"relay"`
	SiteJoin storeJoin         `json:"site_join"`
	Want     map[string]uint64 `json:"want"` // the relay's chains of the child's scopes
}

type storeJoin struct {
	SiteID, SiteName, Ward string
	Anchor                 []byte
	SiteKeys               [][]byte
}

// wardEvents records n events in ward's scope on db (which reads every
// ward), as the app records them: patients, each with observations, every
// payload sealed under the ward's key.
func wardEvents(tb testing.TB, db *store.DB, admin *store.Session, ward string, n int) {
	tb.Helper()
	scope := lifeboat.WardScope(ward)
	var batch []store.Draft
	pid := ""
	for i := range n {
		if i%100 == 0 {
			pid = fmt.Sprintf("p-%s-%d", ward, i)
			batch = append(batch, store.Draft{Kind: forms.KindPatientRegistered, Subject: pid, Scope: scope, PerformedAt: storetest.T0,
				Payload: forms.Patient{ID: pid, Surname: "Bench", Given: "Mark", BirthDate: "1960-01-01", TempID: "DT-" + ward + "-" + strconv.Itoa(i)}})
			continue
		}
		r, sp, pulse, sys, dia, temp, air := 12+i%10, 94+i%5, 60+i%40, 110+i%30, 70+i%10, 36.5+float64(i%10)/10, false
		batch = append(batch, store.Draft{Kind: forms.KindObsRecorded, Subject: pid, Scope: scope, PerformedAt: storetest.T0.Add(time.Duration(i) * time.Second),
			Payload: forms.Observations{PatientID: pid, RespRate: &r, SpO2: &sp, SpO2Scale: 1, OnOxygen: &air,
				Systolic: &sys, Diastolic: &dia, Pulse: &pulse, Consciousness: "A", TempC: &temp}})
		if len(batch) == 5000 {
			if _, err := db.AppendAll(context.Background(), admin, batch); err != nil {
				tb.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if _, err := db.AppendAll(context.Background(), admin, batch); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkJoinWardOfHospital: a ward device joins a site of a million
// events of which its ward holds 25,000. Reports the time to synced, the
// device's peak RSS and heap, the bytes it received, and what the ward
// device and the relay store on disk. Targets: < 2 s, < 100 MB RSS.
func BenchmarkJoinWardOfHospital(b *testing.B) {
	b.StopTimer() // the site's million events are set-up, not the join
	wards, per := envInt("LIFEBOAT_BENCH_WARDS", 40), envInt("LIFEBOAT_BENCH_PER_WARD", 25000)
	ctx := context.Background()
	s := newSite(b)
	for i := range wards {
		wardEvents(b, s.founder, s.admin, fmt.Sprintf("W%02d", i+1), per)
	}
	relayVV, err := s.founder.VersionVector(ctx)
	if err != nil {
		b.Fatal(err)
	}
	total := 0
	for _, n := range relayVV {
		total += int(n)
	}
	a := s.start(s.founder, nil)
	w01 := lifeboat.WardScope("W01")
	for range b.N {
		b.StopTimer()
		res, _ := joinChild(b, s, a.Addr(), "ward phone", w01)
		b.ReportMetric(res["join.s"], "join-s")
		b.ReportMetric(res["join.events"], "events-taken")
		b.ReportMetric(float64(total), "site-events")
		b.ReportMetric(res["join.rss_peak_mb"], "child-MB-rss-peak")
		b.ReportMetric(res["join.heap_peak_mb"], "child-peak-heap-MiB")
		b.ReportMetric(res["join.wire_mb"], "wire-MB")
		b.ReportMetric(res["join.file_mb"], "ward-store-MB")
		b.ReportMetric(fileMB(s.founder.Path()), "reads-all-store-MB")
	}
	if os.Getenv("LIFEBOAT_BENCH_RELAY") != "0" {
		// What a site relay stores: every ward, sealed, none read.
		res, _ := joinChild(b, s, a.Addr(), "site relay", lifeboat.Forward(lifeboat.ScopeAll))
		b.ReportMetric(res["join.s"], "relay-join-s")
		b.ReportMetric(res["join.file_mb"], "relay-store-MB")
	}
}

// joinChild enrols a device with scopes, runs it in a child process
// joining the site through relay, and returns what the child reports and
// the chains it was to hold.
func joinChild(b *testing.B, s *site, relay, name string, scopes ...lifeboat.Scope) (map[string]float64, map[string]uint64) {
	ctx := context.Background()
	dir := b.TempDir()
	child, err := store.Create(ctx, filepath.Join(dir, "ward.lifeboat"), storetest.Passphrase, store.TestKDF, store.Options{NoBackup: true})
	if err != nil {
		b.Fatal(err)
	}
	pub, _ := child.DevicePublicKey(ctx)
	child.Close()
	adm, err := s.founder.Admit(ctx, s.admin, pub, name, scopes...)
	if err != nil {
		b.Fatal(err)
	}
	sub := lifeboat.Subscription(scopes)
	want := map[string]uint64{}
	vv, _ := s.founder.VersionVector(ctx)
	for chain, n := range vv {
		if sub.Holds(lifeboat.ScopeOf(chain)) {
			want[chain] = n
		}
	}
	job := joinJob{Dir: dir, Relay: relay, Want: want, SiteJoin: storeJoin{SiteID: adm.SiteID, SiteName: adm.SiteName, Ward: adm.Ward, Anchor: adm.Anchor, SiteKeys: adm.SiteKeys}}
	jb, _ := json.Marshal(job)
	jobFile := filepath.Join(dir, "job.json")
	if err := os.WriteFile(jobFile, jb, 0o600); err != nil {
		b.Fatal(err)
	}
	args := []string{"-test.run=^TestJoinChild$", "-test.v"}
	if prof := os.Getenv("LIFEBOAT_JOIN_MEMPROFILE"); prof != "" {
		args = append(args, "-test.memprofile="+prof, "-test.memprofilerate=65536")
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "LIFEBOAT_JOIN_JOB="+jobFile)
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	b.StartTimer()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	res := map[string]float64{}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "="); ok && strings.HasPrefix(k, "join.") {
			res[k], _ = strconv.ParseFloat(v, 64)
		}
	}
	if err := cmd.Wait(); err != nil || res["join.s"] == 0 {
		b.Fatalf("the joining device: %v (%v)", err, res)
	}
	b.StopTimer()
	return res, want
}

// fileMB is the size of a store's files (database and write-ahead log).
func fileMB(path string) float64 {
	var n int64
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(path + suffix); err == nil {
			n += fi.Size()
		}
	}
	return float64(n) / (1 << 20)
}

// TestJoinChild is the joining device of BenchmarkJoinWardOfHospital,
// run in its own process; it skips unless the benchmark started it.
func TestJoinChild(t *testing.T) {
	jobFile := os.Getenv("LIFEBOAT_JOIN_JOB")
	if jobFile == "" {
		t.Skip("run by BenchmarkJoinWardOfHospital")
	}
	jb, err := os.ReadFile(jobFile)
	if err != nil {
		t.Fatal(err)
	}
	var job joinJob
	if err := json.Unmarshal(jb, &job); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	start := time.Now()
	db, err := store.Open(ctx, filepath.Join(job.Dir, "ward.lifeboat"), store.Options{NoBackup: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Unlock(ctx, storetest.Passphrase); err != nil {
		t.Fatal(err)
	}
	j := job.SiteJoin
	if err := db.JoinSite(ctx, store.SiteJoin{SiteID: j.SiteID, SiteName: j.SiteName, Ward: j.Ward, Anchor: ed25519.PublicKey(j.Anchor), SiteKeys: j.SiteKeys}); err != nil {
		t.Fatal(err)
	}
	peak := peakHeap()
	s := &site{t: t, faults: newFaults()}
	n := s.start(db, []string{job.Relay}, func(c *mesh.Config) { c.Logger = testLogger(t) })
	waitVectors(t, 10*time.Minute, job.Want, n)
	took := time.Since(start)
	heap := peak()
	st := n.Status()
	n.stop()
	_, events, _ := db.LogDigest(ctx)
	fmt.Printf("join.s=%f\njoin.events=%d\njoin.rss_peak_mb=%f\njoin.heap_peak_mb=%f\njoin.wire_mb=%f\njoin.file_mb=%f\n",
		took.Seconds(), events, peakRSS(), heap, float64(st.WireBytesReceived)/(1<<20), fileMB(db.Path()))
}

// peakRSS is this process's peak resident memory in MB (0 where the
// system does not say).
func peakRSS() float64 {
	m, ok := procmem.Sample()
	if !ok {
		return 0
	}
	return m.PeakMB()
}
