package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"

	"lifeboat"
	"lifeboat/forms"
	"lifeboat/internal/procmem"
	"lifeboat/store"
	"lifeboat/store/storetest"
)

// BenchmarkAppend measures one interactive, durable Append (an
// observation set, committed with synchronous=FULL) and reports the
// latency percentiles a nurse feels. Target: p50 < 10 ms, p99 < 50 ms.
func BenchmarkAppend(b *testing.B) {
	ctx := context.Background()
	db, s := storetest.MustInit(b, store.Options{})
	p := storetest.MustAppend(b, db, s, storetest.PatientDraft("Bench", "Mark", "1960-01-01", "", time.Now()))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := db.Append(ctx, s, storetest.ObsDraft(p.Subject, 12+i%10, 96, 120, 70, 37, time.Now())); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
}

// peerEvents makes n observation events from `devices` enrolled test
// devices (plus their patients), in the order a peer would send them:
// device by device in 1,000-event batches.
func peerEvents(tb testing.TB, db *store.DB, s *store.Session, devices, n int) [][]lifeboat.Event {
	return peerEventsMix(tb, db, s, devices, n, false)
}

// peerEventsMix is peerEvents where, with mixed set, every fifth event is
// another workflow (medicines, controlled drugs, handover, moves) so that
// every view is exercised.
func peerEventsMix(tb testing.TB, db *store.DB, s *store.Session, devices, n int, mixed bool) [][]lifeboat.Event {
	tb.Helper()
	ctx := context.Background()
	per := n / devices
	// Authors the store knows: ward staff for the clinical records (and
	// the CD register), the IT admin for the wards.
	nurse, admin := "author", "author"
	if db != nil {
		nurse, admin = storetest.MustPerson(tb, db, s, "Bench Nurse", lifeboat.RoleWardStaff).User.ID, s.User.ID
	}
	var batches [][]lifeboat.Event
	for d := range devices {
		dev := storetest.NewDevice(tb)
		if db != nil {
			if _, err := db.Enrol(ctx, s, dev.Pub, fmt.Sprintf("bench %d", d)); err != nil {
				tb.Fatal(err)
			}
		}
		pid := "patient-" + dev.ID
		reg, _ := json.Marshal(forms.Patient{ID: pid, Surname: "Bench", Given: "Mark", BirthDate: "1960-01-01", TempID: "DT-" + dev.ID + "-1"})
		var batch []lifeboat.Event
		batch = append(batch, dev.Next(nurse, forms.KindPatientRegistered, pid, reg, storetest.T0))
		if mixed {
			ward, _ := json.Marshal(forms.Ward{ID: "w-" + dev.ID, Name: "Ward " + dev.ID, Beds: []forms.BedDef{{ID: "b1", Label: "Bed 1"}}})
			batch = append(batch, dev.Next(admin, forms.KindWardDefined, "ward:w-"+dev.ID, ward, storetest.T0))
		}
		for i := 1; i < per; i++ {
			if mixed && i%5 == 0 {
				batch = append(batch, mixedEvent(dev, nurse, pid, i))
				if len(batch) == 1000 {
					batches = append(batches, batch)
					batch = nil
				}
				continue
			}
			r, sp, pulse, t := 12+i%10, 94+i%5, 60+i%40, 36.5+float64(i%10)/10
			air := false
			obs, _ := json.Marshal(forms.Observations{PatientID: pid, RespRate: &r, SpO2: &sp, SpO2Scale: 1, OnOxygen: &air,
				Systolic: &pulse, Diastolic: &pulse, Pulse: &pulse, Consciousness: "A", TempC: &t})
			batch = append(batch, dev.Next(nurse, forms.KindObsRecorded, pid, obs, storetest.T0.Add(time.Duration(i)*time.Second)))
			if len(batch) == 1000 {
				batches = append(batches, batch)
				batch = nil
			}
		}
		if len(batch) > 0 {
			batches = append(batches, batch)
		}
	}
	return batches
}

// mixedEvent makes the i'th non-observation event of a device's stream.
func mixedEvent(dev *storetest.Device, author, pid string, i int) lifeboat.Event {
	at := storetest.T0.Add(time.Duration(i) * time.Second)
	q := forms.MustQuantity
	switch (i / 5) % 5 {
	case 0:
		b, _ := json.Marshal(forms.MedicationOrder{ID: fmt.Sprintf("o%d", i), PatientID: pid, Drug: "Paracetamol", Dose: q("1"), DoseUnit: "g", Route: "oral", Frequency: "QDS", Start: storetest.T0, Source: "entered"})
		return dev.Next(author, forms.KindMedOrdered, pid, b, at)
	case 1:
		b, _ := json.Marshal(forms.Administration{OrderID: fmt.Sprintf("o%d", i-5), PatientID: pid, Slot: forms.SlotTime(at), Outcome: forms.OutcomeGiven, Dose: q("1")})
		return dev.Next(author, forms.KindMedAdministered, pid, b, at)
	case 2:
		e := forms.CDEntry{ID: fmt.Sprintf("cd%d", i), CDProduct: forms.CDProduct{Drug: "Morphine", Form: "injection", Strength: "10 mg/ml"}, Location: "w-" + dev.ID, Type: forms.CDReceipt, Quantity: q("10"), From: "Pharmacy"}
		b, _ := json.Marshal(e)
		return dev.Next(author, forms.KindCDEntry, store.CDSubject(e.CDProduct, e.Location), b, at)
	case 3:
		b, _ := json.Marshal(forms.HandoverNote{ID: fmt.Sprintf("n%d", i), PatientID: pid, Text: "Settled"})
		return dev.Next(author, forms.KindHandoverNote, pid, b, at)
	default:
		b, _ := json.Marshal(forms.Transfer{PatientID: pid, Ward: "w-" + dev.ID, Bed: "b1"})
		return dev.Next(author, forms.KindPatientTransferred, pid, b, at)
	}
}

// BenchmarkApplyRemote applies 20,000 signed events from 4 devices in
// 1,000-event batches; BenchmarkPlainInsert inserts the same rows,
// unencrypted and unverified, into the same table shape with a prepared
// statement: the floor ApplyRemote is compared against (make bench prints
// the ratio; target >= 0.5).
func BenchmarkApplyRemote(b *testing.B) {
	ctx := context.Background()
	const n = 20000
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db, s := storetest.MustInit(b, store.Options{})
		batches := peerEvents(b, db, s, 4, n)
		b.StartTimer()
		for _, batch := range batches {
			res, err := db.ApplyRemote(ctx, batch)
			if err != nil || len(res.Refused) > 0 {
				b.Fatalf("ApplyRemote: %v %v", err, res.Refused)
			}
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkPlainInsert(b *testing.B) {
	ctx := context.Background()
	const n = 20000
	// Making and signing the input is not the insert's work: without the
	// reset it was timed, slowing the floor and flattering the ratio.
	batches := peerEvents(b, nil, nil, 4, n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "plain.db")
		// The store's own settings: 16 KiB pages, a 32 MiB cache, WAL.
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=cache_size(-32768)&_txlock=immediate")
		if err != nil {
			b.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		if _, err := db.Exec("PRAGMA page_size = 16384; PRAGMA journal_mode = WAL"); err != nil {
			b.Fatal(err)
		}
		if _, err := db.Exec(`CREATE TABLE events (id TEXT PRIMARY KEY, device TEXT NOT NULL, seq INTEGER NOT NULL,
			hlc_wall INTEGER NOT NULL, hlc_logical INTEGER NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL,
			corrects TEXT NOT NULL, hash BLOB NOT NULL, prev BLOB NOT NULL, sealed BLOB NOT NULL, UNIQUE (device, seq)) STRICT;
			CREATE INDEX events_order ON events (hlc_wall, hlc_logical, device);
			CREATE INDEX events_subject ON events (subject, kind, hlc_wall, hlc_logical, device);
			CREATE INDEX events_corrects ON events (corrects) WHERE corrects <> '';
			CREATE INDEX events_kind ON events (kind);`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for _, batch := range batches {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			st, err := tx.PrepareContext(ctx, "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			if err != nil {
				b.Fatal(err)
			}
			for _, e := range batch {
				h := e.Hash()
				if _, err := st.ExecContext(ctx, e.ID, e.Device, int64(e.Seq), e.HLC.Wall, int64(e.HLC.Logical), e.Kind, e.Subject, e.Corrects, h[:], e.Prev[:], e.Encode()); err != nil {
					b.Fatal(err)
				}
			}
			st.Close()
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkOpenRebuild100k builds a store holding 100,000 events (80%
// observations, the rest medicines, controlled drugs, handover and moves),
// then in
// a fresh child process opens it, unlocks it and rebuilds every view,
// reporting the time taken and the child's peak resident memory (target
// < 250 MB).
func BenchmarkOpenRebuild100k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "big.lifeboat")
	db, s := storetest.MustInitAt(b, path, store.Options{})
	for _, batch := range peerEventsMix(b, db, s, 5, 100000, true) {
		if res, err := db.ApplyRemote(context.Background(), batch); err != nil || len(res.Refused) > 0 {
			b.Fatalf("ApplyRemote: %v %v", err, res.Refused)
		}
	}
	db.Close()
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	var rss, secs float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(self, "-test.run=^$")
		cmd.Env = append(os.Environ(), "LIFEBOAT_REBUILD_CHILD="+path)
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("child: %v", err)
		}
		if _, err := fmt.Sscanf(string(out), "%f %f", &secs, &rss); err != nil {
			b.Fatalf("child said %q: %v", out, err)
		}
	}
	b.ReportMetric(secs, "rebuild-s")
	b.ReportMetric(rss, "peak-rss-MB")
}

// rebuildChild opens the store at path, unlocks it, rebuilds the views
// and prints the rebuild seconds and peak RSS in MB.
func rebuildChild(path string) {
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := db.Unlock(ctx, storetest.Passphrase); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	start := time.Now()
	if err := db.Rebuild(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	took := time.Since(start)
	db.Close()
	fmt.Printf("%.3f %.1f\n", took.Seconds(), peakRSSMB())
}

// cpuSeconds is the process's user and system CPU time so far, from
// /proc/self/stat (in clock ticks of 1/100 s), or -1 where there is none.
func cpuSeconds() float64 {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return -1
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: utime and stime are the 12th and 13th of them.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return -1
	}
	var ut, st float64
	fmt.Sscanf(f[11], "%f", &ut)
	fmt.Sscanf(f[12], "%f", &st)
	return (ut + st) / 100
}

// peakRSSMB is the process's peak resident memory (VmHWM) in MiB, or -1
// where the system does not say.
func peakRSSMB() float64 {
	u, ok := procmem.Sample()
	if !ok {
		return -1
	}
	return u.PeakMB()
}

// closedProductionStore makes a store at the production key costs and
// closes it, returning its path.
func closedProductionStore(b *testing.B) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "ward.lifeboat")
	db, _, err := store.Init(context.Background(), path, store.Setup{SiteName: "S", Ward: "W", Passphrase: storetest.Passphrase,
		AdminName: "A", AdminPIN: storetest.AdminPIN, AdminPassphrase: storetest.AdminPassphrase}, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	db.Close()
	return path
}

// BenchmarkUnlock measures unlocking with the ward passphrase at the
// production Argon2id cost (DefaultKDF; target 150-400 ms per unlock).
func BenchmarkUnlock(b *testing.B) {
	ctx := context.Background()
	path := closedProductionStore(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		db, err := store.Open(ctx, path, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := db.Unlock(ctx, storetest.Passphrase); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/unlock")
}

// BenchmarkPassphraseGuess is the offline attacker on the one remaining
// key slot: with a copy of the store file, each guess at the ward
// passphrase costs one Argon2id derivation at the slot's costs
// (DefaultKDF) and one XChaCha20-Poly1305 open (slotsOpenedBy in
// atrest_test.go does exactly this). "one-core" is a single guess at a
// time; "all-cores" runs one per CPU, as an attacker would, and reports
// guesses per second for the whole machine. B/op is the memory each guess
// needs (64 MiB at DefaultKDF), which is what limits guessing in parallel
// on a GPU. docs/security.md (At rest) turns these into years per
// passphrase.
func BenchmarkPassphraseGuess(b *testing.B) {
	path := closedProductionStore(b)
	sdb, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		b.Fatal(err)
	}
	var salt, wrapped []byte
	var p store.KDFParams
	err = sdb.QueryRow("SELECT salt, wrapped, kdf_time, kdf_memory, kdf_lanes FROM keyslots WHERE id = 'passphrase'").
		Scan(&salt, &wrapped, &p.Time, &p.MemoryKiB, &p.Lanes)
	sdb.Close()
	if err != nil {
		b.Fatal(err)
	}
	if p != store.DefaultKDF {
		b.Fatalf("passphrase slot costs %+v, want DefaultKDF %+v", p, store.DefaultKDF)
	}
	guess := func(secret string) bool {
		aead, err := chacha20poly1305.NewX(argon2.IDKey([]byte(secret), salt, p.Time, p.MemoryKiB, p.Lanes, 32))
		if err != nil {
			b.Fatal(err)
		}
		n := aead.NonceSize()
		_, err = aead.Open(nil, wrapped[:n], wrapped[n:], []byte("7:keyslot|10:passphrase|"))
		return err == nil
	}
	if !guess(storetest.Passphrase) {
		b.Fatal("the right passphrase does not open the slot")
	}
	b.Run("one-core", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := cpuSeconds()
		for i := 0; b.Loop(); i++ {
			if guess(fmt.Sprintf("wrong guess %d", i)) {
				b.Fatal("a wrong guess opened the slot")
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/guess")
		// CPU time is the attacker's cost whatever else the machine runs
		// (wall time above grows with the load; lanes run in parallel).
		if cpu0 >= 0 {
			b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/guess")
		}
		b.ReportMetric(float64(p.MemoryKiB)/1024, "MiB/guess")
	})
	b.Run("all-cores", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				if guess(fmt.Sprintf("wrong guess %d", i)) {
					b.Error("a wrong guess opened the slot")
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "guesses/s")
	})
}

// BenchmarkMigratePINSlots100k times opening a schema-6 store of 100,000
// events with a PIN key slot (as the last schema before PIN slots were
// removed): the backup, scrubbing the backup, deleting
// the slot and vacuuming the store (schema 7), done once per store.
func BenchmarkMigratePINSlots100k(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "big.lifeboat")
	db, s := storetest.MustInitAt(b, path, store.Options{})
	for _, batch := range peerEventsMix(b, db, s, 5, 100000, true) {
		if res, err := db.ApplyRemote(ctx, batch); err != nil || len(res.Refused) > 0 {
			b.Fatalf("ApplyRemote: %v %v", err, res.Refused)
		}
	}
	db.Close()
	v6 := fileBytesB(b, path)
	var size float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		os.Remove(path + ".backup-v6")
		if err := os.WriteFile(path, v6, 0o600); err != nil {
			b.Fatal(err)
		}
		sdb, err := sql.Open("sqlite", path)
		if err != nil {
			b.Fatal(err)
		}
		for _, q := range []string{
			"INSERT INTO keyslots (id, salt, kdf_time, kdf_memory, kdf_lanes, wrapped) SELECT 'user:x:0', salt, kdf_time, kdf_memory, kdf_lanes, wrapped FROM keyslots WHERE id = 'passphrase'",
			"PRAGMA user_version = 6",
		} {
			if _, err := sdb.Exec(q); err != nil {
				b.Fatal(err)
			}
		}
		sdb.Close()
		b.StartTimer()
		db, err := store.Open(ctx, path, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		db.Close()
		fi, _ := os.Stat(path)
		size = float64(fi.Size()) / (1 << 20)
		b.StartTimer()
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "migrate-s")
	b.ReportMetric(size, "store-MiB")
}

func fileBytesB(b *testing.B, path string) []byte {
	b.Helper()
	v, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return v
}
