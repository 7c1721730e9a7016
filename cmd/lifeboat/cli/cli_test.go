package cli

import (
	"bytes"
	"database/sql"
	"lifeboat"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	_ "modernc.org/sqlite"

	"lifeboat/store"
)

// run executes a lifeboat subcommand in-process with stdin and returns
// what it printed and its error.
func run(t *testing.T, dir, stdin string, args ...string) (string, error) {
	t.Helper()
	return runEnv(t, dir, &Env{Stdin: strings.NewReader(stdin)}, args...)
}

// runEnv executes a lifeboat subcommand in-process with env (its data
// folder dir, the fast test KDF) under a root with run's --data flag, and
// returns what it printed and its error.
func runEnv(t *testing.T, dir string, env *Env, args ...string) (string, error) {
	t.Helper()
	root := &cobra.Command{Use: "lifeboat", SilenceUsage: true, SilenceErrors: true}
	root.PersistentFlags().String("data", dir, "")
	env.DataDir = func(*cobra.Command) (string, error) { return dir, nil }
	env.KDF = store.TestKDF
	root.AddCommand(Commands(env)...)
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(t.Context())
	return out.String(), err
}

const setupInput = "a long ward passphrase\n2580\n" + adminPassphrase + "\n7391\n"

// adminPassphrase is the first admin's own admin passphrase in setupInput.
const adminPassphrase = "ada's admin passphrase"

func mustInit(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := run(t, dir, setupInput, "init", "--site", "St Elsewhere", "--ward", "Ward 7", "--admin", "Ada Admin"); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	return dir
}

func TestInit_ThenVerifyOK(t *testing.T) {
	dir := mustInit(t)
	out, err := run(t, dir, "a long ward passphrase\n", "verify")
	if err != nil || !strings.Contains(out, "OK: 3 events") {
		t.Fatalf("verify = %q, %v; want OK with 3 events (site, admin, break-glass)", out, err)
	}
}

func TestInit_BadInputIsExplainedAndLeavesNothing(t *testing.T) {
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"missing flags", setupInput, []string{"init"}, `required flag(s) "admin", "site", "ward" not set`},
		{"short passphrase and weak pin", "short\n1234\nshort\n7391\n", []string{"init", "--site", "S", "--ward", "W", "--admin", "A"}, "at least 12 characters"},
		{"unknown flag", setupInput, []string{"init", "--sight", "S"}, "unknown flag: --sight"},
		{"no input", "", []string{"init", "--site", "S", "--ward", "W", "--admin", "A"}, "read ward passphrase from standard input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			out, err := run(t, dir, tt.stdin, tt.args...)
			if err == nil || !strings.Contains(err.Error()+out, tt.want) {
				t.Errorf("init(%s) = %v %q, want an error containing %q", tt.name, err, out, tt.want)
			}
			if _, err := os.Stat(filepath.Join(dir, StoreFile)); err == nil {
				t.Errorf("init(%s) left a store behind", tt.name)
			}
		})
	}
	dir := mustInit(t)
	if _, err := run(t, dir, setupInput, "init", "--site", "S", "--ward", "W", "--admin", "A"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second init = %v, want already exists", err)
	}
}

func TestVerify_WrongPassphraseAndMissingStore(t *testing.T) {
	if _, err := run(t, t.TempDir(), "x\n", "verify"); err == nil || !strings.Contains(err.Error(), "lifeboat init") {
		t.Errorf("verify with no store = %v, want a hint to run init", err)
	}
	dir := mustInit(t)
	if _, err := run(t, dir, "not the passphrase\n", "verify"); err == nil || err.Error() != "wrong passphrase" {
		t.Errorf("verify with wrong passphrase = %v, want \"wrong passphrase\"", err)
	}
}

// TestVerify_ReportsFlippedBytes flips bytes inside one event's ciphertext
// in the database file: verify must name that record and fail.
func TestVerify_ReportsFlippedBytes(t *testing.T) {
	dir := mustInit(t)
	path := filepath.Join(dir, StoreFile)
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	var id string
	var sealed []byte
	if err := raw.QueryRow("SELECT id, sealed FROM events WHERE kind = 'user.saved' LIMIT 1").Scan(&id, &sealed); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	b, _ := os.ReadFile(path)
	at := bytes.Index(b, sealed)
	if at < 0 {
		t.Fatal("ciphertext not found in file")
	}
	for i := 0; i < 4; i++ {
		b[at+40+i] ^= 0xff
	}
	os.WriteFile(path, b, 0o600)
	out, err := run(t, dir, "a long ward passphrase\n", "verify")
	if err == nil || !strings.Contains(out, id) || !strings.Contains(out, "PROBLEM") {
		t.Errorf("verify after flipping bytes = %v\n%s\nwant a PROBLEM line naming %s", err, out, id)
	}
}

func TestDemo_SeedsAVerifiableWard(t *testing.T) {
	dir := t.TempDir()
	out, err := run(t, dir, "", "demo")
	if err != nil || !strings.Contains(out, DemoPassphrase) {
		t.Fatalf("demo = %q, %v", out, err)
	}
	db := mustUnlocked(t, filepath.Join(dir, StoreFile), DemoPassphrase)
	defer db.Close()
	pts, err := db.Patients(t.Context(), demoWard)
	if err != nil || len(pts) != 18 {
		t.Fatalf("demo patients = %d, %v; want 18", len(pts), err)
	}
	board, err := db.BedBoard(t.Context(), demoWard)
	if err != nil || len(board.Beds) != 24 || board.Summary().Occupied != 18 {
		t.Errorf("demo bed board = %d beds, %+v, %v; want 24 beds, 18 occupied", len(board.Beds), board.Summary(), err)
	}
	vv, _ := db.VersionVector(t.Context())
	devs := map[string]bool{}
	for chain := range vv {
		devs[lifeboat.DeviceOf(chain)] = true
	}
	if len(devs) != 3 {
		t.Errorf("demo log holds events from %d devices, want 3 (this one and two peers): %v", len(devs), vv)
	}
	rep, err := db.Verify(t.Context())
	if err != nil || !rep.OK() {
		t.Errorf("demo store does not verify: %v %v", rep.Problems, err)
	}
	if _, err := run(t, dir, "", "demo"); err == nil {
		t.Error("demo over an existing store succeeded")
	}
	if _, err := run(t, dir, "", "demo", "--if-missing"); err != nil {
		t.Errorf("demo --if-missing over an existing store = %v", err)
	}
}

// mustUnlocked opens the store at path and unlocks it with passphrase;
// the caller closes it.
func mustUnlocked(t *testing.T, path, passphrase string) *store.DB {
	t.Helper()
	db, err := store.Open(t.Context(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Unlock(t.Context(), passphrase); err != nil {
		db.Close()
		t.Fatal(err)
	}
	return db
}

// A wrong PIN given to a command that records as a person is called a
// wrong PIN, with the tries left (it once read "wrong passphrase", sending
// people to check the ward passphrase that was right); at the limit, the
// lockout and until when.
func TestPatientAdd_WrongPINIsCalledAWrongPIN(t *testing.T) {
	dir := mustInit(t)
	add := func(pin string) error {
		_, err := run(t, dir, "a long ward passphrase\n"+pin+"\n", "patient", "add", "--user", "Ada Admin",
			"--surname", "Smith", "--given", "Richard", "--dob", "04/03/1957", "--sex", "male")
		return err
	}
	if err := add("1111"); err == nil || err.Error() != "wrong PIN: 4 more tries before a lockout of 5 minutes" {
		t.Fatalf("patient add with a wrong PIN = %v, want \"wrong PIN: 4 more tries before a lockout of 5 minutes\"", err)
	}
	for range 2 {
		add("1111")
	}
	if err := add("1111"); err == nil || !strings.HasPrefix(err.Error(), "wrong PIN: 1 more try before a lockout") {
		t.Fatalf("fourth wrong PIN = %v, want 1 more try", err)
	}
	if err := add("1111"); err == nil || !strings.HasPrefix(err.Error(), "too many wrong PINs: locked out until ") {
		t.Fatalf("fifth wrong PIN = %v, want the lockout", err)
	}
	if err := add("2580"); err == nil || !strings.HasPrefix(err.Error(), "too many wrong PINs: locked out until ") {
		t.Fatalf("right PIN while locked out = %v, want the lockout", err)
	}
	if _, err := run(t, dir, "not the passphrase\n", "verify"); err == nil || err.Error() != "wrong passphrase" {
		t.Errorf("verify with a wrong passphrase = %v, still want \"wrong passphrase\"", err)
	}
}
