package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"lifeboat/forms"
	"lifeboat/store"
)

// censusRows is the size of the census the import figures are for (#17:
// 50k rows took 36 s with no progress shown).
const censusRows = 50_000

// writeBigCensus writes a census CSV of rows rows: patients of five rows
// each (four medicines and an allergy), one bed each, 500 beds a ward.
func writeBigCensus(tb testing.TB, rows int) string {
	tb.Helper()
	var b strings.Builder
	b.WriteString("nhs_number,surname,given,birth_date,sex,ward,bed,drug,dose,dose_unit,route,frequency,allergy\n")
	drugs := []string{"Paracetamol 500mg tablets,1,g,oral,QDS", "Ramipril 5mg capsules,5,mg,oral,OD",
		"Atorvastatin 20mg tablets,20,mg,oral,ON", "Metformin 500mg tablets,500,mg,oral,BD"}
	for n, i := 0, 0; n < rows; i++ {
		nhs := bigNHS(i)
		fmt.Fprintf(&b, "%s,Patient%d,Zoë,1950-01-%02d,female,w%d,b%d,%s,\n", nhs, i, i%28+1, i/500, i%500, drugs[0])
		n++
		for _, d := range drugs[1:] {
			if n == rows {
				break
			}
			fmt.Fprintf(&b, "%s,,,,,,,%s,\n", nhs, d)
			n++
		}
		if n < rows {
			fmt.Fprintf(&b, "%s,,,,,,,,,,,,Penicillin\n", nhs)
			n++
		}
	}
	file := filepath.Join(tb.TempDir(), "census.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	return file
}

// bigNHS is the i-th valid NHS number from 900 000 0000.
func bigNHS(i int) string {
	for n := 900_000_000 + 7*i; ; n++ {
		s := fmt.Sprintf("%09d", n)
		sum := 0
		for j, c := range s {
			sum += int(c-'0') * (10 - j)
		}
		if check := 11 - sum%11; check == 11 {
			return s + "0"
		} else if check < 10 {
			if _, err := forms.ParseNHSNumber(s + fmt.Sprint(check)); err == nil {
				return s + fmt.Sprint(check)
			}
		}
	}
}

// BenchmarkImportCSV50k runs lifeboat import on a 50k-row census into a
// new store (the store's set-up is not timed).
func BenchmarkImportCSV50k(b *testing.B) {
	file := writeBigCensus(b, censusRows)
	for b.Loop() {
		b.StopTimer()
		dir := mustInitTB(b)
		b.StartTimer()
		out, _, err := runTB(b, dir, adminIn, "import", file, "--as-of", "2026-11-20 06:00", "--user", "Ada Admin")
		if err != nil {
			b.Fatalf("import = %v\n%.500s", err, out)
		}
	}
}

// runTB is run for benchmarks: what the command printed to stdout and to
// stderr, and its error.
func runTB(tb testing.TB, dir, stdin string, args ...string) (string, string, error) {
	tb.Helper()
	root := &cobra.Command{Use: "lifeboat", SilenceUsage: true, SilenceErrors: true}
	env := &Env{DataDir: func(*cobra.Command) (string, error) { return dir, nil }, Stdin: strings.NewReader(stdin), KDF: store.TestKDF}
	root.AddCommand(Commands(env)...)
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(tb.Context())
	return out.String(), errOut.String(), err
}

// mustInitTB is mustInit for benchmarks.
func mustInitTB(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	if out, _, err := runTB(tb, dir, setupInput, "init", "--site", "St Elsewhere", "--ward", "Ward 7", "--admin", "Ada Admin"); err != nil {
		tb.Fatalf("init: %v\n%s", err, out)
	}
	return dir
}
